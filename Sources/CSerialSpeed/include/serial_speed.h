#ifndef SENSORBRIDGE_SERIAL_SPEED_H
#define SENSORBRIDGE_SERIAL_SPEED_H

/// Sets any baud rate the driver accepts (Linux termios2 with BOTHER), both directions.
/// Returns 0, or -1 with errno set by the driver.
int sensorbridge_set_custom_speed(int fd, unsigned int rate);

/// The rate the driver now uses (it may round), or 0 with errno set.
unsigned int sensorbridge_current_speed(int fd);

#endif
