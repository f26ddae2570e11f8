#ifndef SENSORBRIDGE_CMOSQUITTO_SHIM_H
#define SENSORBRIDGE_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
