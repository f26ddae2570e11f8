#ifndef SENSORBRIDGE_CUDEV_SHIM_H
#define SENSORBRIDGE_CUDEV_SHIM_H
#include <libudev.h>
#endif
