/* simtime.h - simulated time: an integer count of nanoseconds (never a double). */
#ifndef KS_SIMTIME_H
#define KS_SIMTIME_H

#include <stdint.h>

typedef uint64_t ks_time; /* simulated time, ns since the start of a run */

#define KS_TIME_MAX UINT64_MAX
#define KS_NS(x) ((ks_time)(x))
#define KS_US(x) ((ks_time)(x) * 1000ULL)
#define KS_MS(x) ((ks_time)(x) * 1000000ULL)
#define KS_S(x) ((ks_time)(x) * 1000000000ULL)

#endif
