#ifndef RENTGUARD_CMOSQUITTO_SHIM_H
#define RENTGUARD_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
