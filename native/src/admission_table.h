#ifndef CLASSICD_ADMISSION_TABLE_H
#define CLASSICD_ADMISSION_TABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Longest key, NUL-padded: an IPv6 address in text (45 characters) with a zone, as Node writes a
 * link-local peer (`fe80::1%enp0s31f6`, up to 15 more characters after the `%`).
 */
#define ADMISSION_KEY_BYTES 64
#define ADMISSION_MAX_SERVICES 32
/* 256 workers, the most the config allows, and the primary. */
#define ADMISSION_MAX_COLUMNS 257

/* What admission_admit decides; the order of the checks is AdmissionController's. */
enum admission_verdict {
  ADMISSION_ADMITTED = 0,
  ADMISSION_MAX_SESSIONS = 1,
  ADMISSION_MAX_PER_IP = 2,
  ADMISSION_RATE = 3,
};

typedef struct {
  uint32_t max_sessions;
  uint32_t max_per_ip;
  double rate_per_second;
  double burst;
} admission_limits;

typedef struct admission_table admission_table;

/* Bytes a table for these services and columns needs (the mapping's size), or 0 if too many. */
size_t admission_table_bytes(const admission_limits *limits, uint32_t services, uint32_t columns);

/* Lays out a table in `memory` (zeroed, admission_table_bytes long, shared between processes). */
int admission_table_init(void *memory, size_t bytes, const admission_limits *limits, uint32_t services,
                         uint32_t columns, double now_ms);

/* `memory` as a table, if it is one of `bytes` bytes: NULL otherwise. */
admission_table *admission_table_check(void *memory, size_t bytes);

/*
 * The calls below take the table's lock and return -errno if they cannot (a holder that has not
 * let go for ADMISSION_LOCK_WAIT_MS), -EINVAL for a service or column out of range.
 */

/*
 * Decides for `key` (a canonical address, shorter than ADMISSION_KEY_BYTES) in `column`'s name;
 * counts it there when admitted.
 */
int admission_admit(admission_table *table, uint32_t service, uint32_t column, const char *key, double now_ms);

/* Uncounts one session of `key` admitted in `column`'s name: 0, or 1 if there was none. */
int admission_release(admission_table *table, uint32_t service, uint32_t column, const char *key);

/* Forgets everything counted in `column`'s name (its process has exited). */
int admission_reclaim(admission_table *table, uint32_t column);

/* Sessions counted for `service` in every column, or -errno. */
int64_t admission_active(admission_table *table, uint32_t service);

#endif
