#ifndef VERDANT_SENSORS_H
#define VERDANT_SENSORS_H

#include <stdint.h>
#include <stddef.h>

/// Opens one perf_event counter of PMU `type` with `config`, system-wide on `cpu`
/// (perf_event_open(2): pid = -1, cpu >= 0). Needs CAP_PERFMON or perf_event_paranoid <= 0.
/// Returns the fd, or -1 with `*err` set to errno.
int verdant_perf_open(uint32_t type, uint64_t config, int cpu, int *err);

/// Reads the 64-bit count of an fd from `verdant_perf_open`. Returns 0, or -1 with errno.
int verdant_perf_read(int fd, uint64_t *value);

/// Loads NVML with dlopen(`library`) and calls nvmlInit_v2. No link-time dependency on the driver.
/// Returns 0, or -1 with a message in `message` (library absent, symbol missing, init failed).
int verdant_nvml_load(const char *library, char *message, size_t message_len);

/// nvmlDeviceGetCount_v2. Returns the NVML return code (0 = success).
int verdant_nvml_device_count(unsigned int *count);

/// nvmlDeviceGetTotalEnergyConsumption for device `index`: millijoules since the driver loaded
/// (Volta and later). Returns the NVML return code (3 = not supported).
int verdant_nvml_total_energy_mj(unsigned int index, unsigned long long *millijoules);

/// nvmlDeviceGetPowerUsage for device `index`: milliwatts now. Returns the NVML return code.
int verdant_nvml_power_mw(unsigned int index, unsigned int *milliwatts);

/// nvmlDeviceGetName into `name`. Returns the NVML return code.
int verdant_nvml_name(unsigned int index, char *name, unsigned int length);

/// adjtimex(2) read-only: returns the clock state (TIME_ERROR = 5 when unsynchronized) or -1, and
/// fills `timex.status` (STA_UNSYNC = 0x0040) and `timex.maxerror` (µs). For `verdant doctor`.
int verdant_clock_state(int *status_out, long *maxerror_us_out);

#endif
