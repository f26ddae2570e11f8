#ifndef SENSORBRIDGE_CMOSQUITTO_SHIM_H
#define SENSORBRIDGE_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
