// termios2 lives in the kernel's headers, which clash with glibc's <termios.h>: so this file
// includes only them, and Swift sees two plain functions.
#include <asm/termbits.h>
#include <asm/ioctls.h>
#include <sys/ioctl.h>
#include "serial_speed.h"

int sensorbridge_set_custom_speed(int fd, unsigned int rate) {
    struct termios2 settings;
    if (ioctl(fd, TCGETS2, &settings) != 0) return -1;
    settings.c_cflag &= ~(CBAUD | (CBAUD << IBSHIFT));
    settings.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
    settings.c_ispeed = rate;
    settings.c_ospeed = rate;
    return ioctl(fd, TCSETS2, &settings);
}

unsigned int sensorbridge_current_speed(int fd) {
    struct termios2 settings;
    if (ioctl(fd, TCGETS2, &settings) != 0) return 0;
    return settings.c_ospeed;
}
