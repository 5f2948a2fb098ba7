#define _GNU_SOURCE
#include "verdant_sensors.h"

#include <dlfcn.h>
#include <stdio.h>

/* NVML's C API (nvml.h, NVIDIA Management Library reference): opaque device handles, int return codes. */
typedef void *nvml_device;
static int (*p_init)(void);
static int (*p_count)(unsigned int *);
static int (*p_handle)(unsigned int, nvml_device *);
static int (*p_energy)(nvml_device, unsigned long long *);
static int (*p_power)(nvml_device, unsigned int *);
static int (*p_name)(nvml_device, char *, unsigned int);

int verdant_nvml_load(const char *library, char *message, size_t message_len) {
    void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!h) { snprintf(message, message_len, "%s", dlerror()); return -1; }
    p_init = (int (*)(void))dlsym(h, "nvmlInit_v2");
    p_count = (int (*)(unsigned int *))dlsym(h, "nvmlDeviceGetCount_v2");
    p_handle = (int (*)(unsigned int, nvml_device *))dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    p_energy = (int (*)(nvml_device, unsigned long long *))dlsym(h, "nvmlDeviceGetTotalEnergyConsumption");
    p_power = (int (*)(nvml_device, unsigned int *))dlsym(h, "nvmlDeviceGetPowerUsage");
    p_name = (int (*)(nvml_device, char *, unsigned int))dlsym(h, "nvmlDeviceGetName");
    if (!p_init || !p_count || !p_handle || !p_power || !p_name) {
        snprintf(message, message_len, "%s lacks an NVML symbol this build needs", library);
        return -1;
    }
    int rc = p_init();
    if (rc != 0) { snprintf(message, message_len, "nvmlInit_v2 returned %d", rc); return -1; }
    return 0;
}

int verdant_nvml_device_count(unsigned int *count) { return p_count ? p_count(count) : 999; }

int verdant_nvml_total_energy_mj(unsigned int index, unsigned long long *millijoules) {
    nvml_device d;
    if (!p_energy) return 3; /* NVML_ERROR_NOT_SUPPORTED */
    int rc = p_handle(index, &d);
    return rc != 0 ? rc : p_energy(d, millijoules);
}

int verdant_nvml_power_mw(unsigned int index, unsigned int *milliwatts) {
    nvml_device d;
    int rc = p_handle(index, &d);
    return rc != 0 ? rc : p_power(d, milliwatts);
}

int verdant_nvml_name(unsigned int index, char *name, unsigned int length) {
    nvml_device d;
    int rc = p_handle(index, &d);
    return rc != 0 ? rc : p_name(d, name, length);
}
