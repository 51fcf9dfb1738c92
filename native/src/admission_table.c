/*
 * Admission counts shared by classicd's processes, so that a worker can apply a service's whole
 * limits (max sessions, max per IP, connections per second) to a connection it accepted itself,
 * without asking the primary (dispatch: brokered; docs/architecture.md). The same bookkeeping as
 * shared/supervisor/admission.ts, in memory every process maps.
 *
 * Layout: a header, then per service its limits, one token bucket, and per column (one column for
 * each worker slot, one for the primary) a session count and an open-addressing table of the
 * client addresses it admitted, with a count each. A column is written only in its owner's name,
 * so when a worker dies the primary forgets its column whole (admission_reclaim), whatever state
 * its last call left. Totals are sums over the columns, taken under the lock.
 *
 * The lock is a robust, process-shared mutex: a holder that dies mid-call leaves EOWNERDEAD for
 * the next caller, which carries on (the dead worker's column is reclaimed anyway). Callers wait
 * for it at most ADMISSION_LOCK_WAIT_MS (on the monotonic clock where glibc has one), so a holder
 * stopped by SIGSTOP in its short stay inside cannot hang the others: they refuse instead.
 *
 * A column always keeps an empty slot (a new address is refused as max-sessions rather than take
 * the last one), which is what ends every probe run in find() and remove_at().
 */
#define _GNU_SOURCE /* pthread_mutex_clocklock */
#include "admission_table.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define TABLE_MAGIC 0x64616c63u /* "clad" */
#define TABLE_VERSION 1u
#define ADMISSION_LOCK_WAIT_MS 200
#define MIN_CAPACITY 16u
/*
 * Slots in one column at most: 65,536 (4.5 MiB, touched only as used), so 65,535 addresses. A
 * worker whose column is that full refuses further new addresses as max-sessions until some leave.
 */
#define MAX_CAPACITY (1u << 16)

typedef struct {
  char key[ADMISSION_KEY_BYTES];
  uint32_t count; /* 0: the slot is empty */
  uint32_t unused;
} entry;

typedef struct {
  admission_limits limits;
  uint32_t capacity; /* entries per column, a power of two */
  uint32_t unused;
  double tokens;
  double updated_ms;
  uint64_t active_offset;  /* uint32_t active[columns] */
  uint64_t entries_offset; /* entry entries[columns][capacity] */
} service_block;

struct admission_table {
  uint32_t magic;
  uint32_t version;
  uint32_t services;
  uint32_t columns;
  uint64_t bytes;
  pthread_mutex_t lock;
  service_block service[ADMISSION_MAX_SERVICES];
};

static uint32_t capacity_for(uint32_t max_sessions) {
  /* A column never holds more addresses than sessions; twice that keeps probe runs short. */
  uint64_t wanted = (uint64_t)max_sessions * 2;
  uint32_t capacity = MIN_CAPACITY;
  while (capacity < wanted && capacity < MAX_CAPACITY) capacity <<= 1;
  return capacity;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t admission_table_bytes(const admission_limits *limits, uint32_t services, uint32_t columns) {
  if (services > ADMISSION_MAX_SERVICES || columns == 0 || columns > ADMISSION_MAX_COLUMNS) return 0;
  size_t bytes = align8(sizeof(admission_table));
  for (uint32_t s = 0; s < services; s++) {
    bytes += align8(sizeof(uint32_t) * columns);
    bytes += sizeof(entry) * (size_t)capacity_for(limits[s].max_sessions) * columns;
  }
  return bytes;
}

int admission_table_init(void *memory, size_t bytes, const admission_limits *limits, uint32_t services,
                         uint32_t columns, double now_ms) {
  if (admission_table_bytes(limits, services, columns) != bytes || bytes == 0) return -EINVAL;
  admission_table *table = memory;
  pthread_mutexattr_t attributes;
  if (pthread_mutexattr_init(&attributes) != 0) return -ENOMEM;
  pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
  int error = pthread_mutex_init(&table->lock, &attributes);
  pthread_mutexattr_destroy(&attributes);
  if (error != 0) return -error;
  size_t offset = align8(sizeof(admission_table));
  for (uint32_t s = 0; s < services; s++) {
    service_block *service = &table->service[s];
    service->limits = limits[s];
    service->capacity = capacity_for(limits[s].max_sessions);
    /* A full bucket to start with, as TokenBucket does. */
    service->tokens = limits[s].burst;
    service->updated_ms = now_ms;
    service->active_offset = offset;
    offset += align8(sizeof(uint32_t) * columns);
    service->entries_offset = offset;
    offset += sizeof(entry) * (size_t)service->capacity * columns;
  }
  table->services = services;
  table->columns = columns;
  table->bytes = bytes;
  table->version = TABLE_VERSION;
  table->magic = TABLE_MAGIC;
  return 0;
}

admission_table *admission_table_check(void *memory, size_t bytes) {
  admission_table *table = memory;
  if (bytes < sizeof(admission_table) || table->magic != TABLE_MAGIC || table->version != TABLE_VERSION ||
      table->bytes != bytes || table->services > ADMISSION_MAX_SERVICES || table->columns == 0 ||
      table->columns > ADMISSION_MAX_COLUMNS)
    return NULL;
  /* Every service's counts and columns inside the mapping, with capacities find() can mask. */
  for (uint32_t s = 0; s < table->services; s++) {
    const service_block *service = &table->service[s];
    uint32_t capacity = service->capacity;
    if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) != 0 ||
        service->active_offset + sizeof(uint32_t) * table->columns > bytes ||
        service->entries_offset + sizeof(entry) * (uint64_t)capacity * table->columns > bytes)
      return NULL;
  }
  return table;
}

/* glibc 2.30 and later wait on the monotonic clock, which no clock step moves; others, real time. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 30))
#define LOCK_CLOCK CLOCK_MONOTONIC
#define timed_lock(mutex, deadline) pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, deadline)
#else
#define LOCK_CLOCK CLOCK_REALTIME
#define timed_lock(mutex, deadline) pthread_mutex_timedlock(mutex, deadline)
#endif

static int lock(admission_table *table) {
  struct timespec deadline;
  clock_gettime(LOCK_CLOCK, &deadline);
  deadline.tv_nsec += (long)ADMISSION_LOCK_WAIT_MS * 1000000L;
  deadline.tv_sec += deadline.tv_nsec / 1000000000L;
  deadline.tv_nsec %= 1000000000L;
  int error = timed_lock(&table->lock, &deadline);
  if (error == EOWNERDEAD) {
    /* Its holder died inside a call. What it can have left half-written is its own column, which
     * the primary reclaims when it sees the exit, and a token count, which is refilled anyway. */
    pthread_mutex_consistent(&table->lock);
    return 0;
  }
  return -error;
}

static void unlock(admission_table *table) { pthread_mutex_unlock(&table->lock); }

static uint32_t *active_counts(admission_table *table, const service_block *service) {
  return (uint32_t *)((char *)table + service->active_offset);
}

static entry *column_entries(admission_table *table, const service_block *service, uint32_t column) {
  return (entry *)((char *)table + service->entries_offset) + (size_t)column * service->capacity;
}

/* FNV-1a over the padded key. */
static uint32_t home_slot(const char *key, uint32_t capacity) {
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < ADMISSION_KEY_BYTES && key[i] != '\0'; i++) hash = (hash ^ (uint8_t)key[i]) * 16777619u;
  return hash & (capacity - 1);
}

/*
 * Where `key` is in a column, or the empty slot where it would go (check `count`); NULL if the
 * column is full and `key` is not in it.
 */
static entry *find(entry *entries, uint32_t capacity, const char *key) {
  uint32_t slot = home_slot(key, capacity);
  for (uint32_t probes = 0; probes < capacity; probes++, slot = (slot + 1) & (capacity - 1)) {
    entry *candidate = &entries[slot];
    if (candidate->count == 0 || memcmp(candidate->key, key, ADMISSION_KEY_BYTES) == 0) return candidate;
  }
  return NULL;
}

/* Empties `slot` and moves later entries of its probe run back, so no lookup stops short. */
static void remove_at(entry *entries, uint32_t capacity, uint32_t slot) {
  uint32_t mask = capacity - 1;
  uint32_t hole = slot;
  /* Bounded as well as ended by the empty slot a column always keeps. */
  uint32_t next = (hole + 1) & mask;
  for (uint32_t steps = 1; steps < capacity && entries[next].count != 0; steps++, next = (next + 1) & mask) {
    uint32_t home = home_slot(entries[next].key, capacity);
    /* The entry at `next` may fill the hole unless its home lies cyclically in (hole, next]. */
    int stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
    if (stays) continue;
    entries[hole] = entries[next];
    hole = next;
  }
  memset(&entries[hole], 0, sizeof(entry));
}

static int valid(const admission_table *table, uint32_t service, uint32_t column) {
  return service < table->services && column < table->columns;
}

int admission_admit(admission_table *table, uint32_t service_index, uint32_t column, const char *key,
                    double now_ms) {
  if (!valid(table, service_index, column)) return -EINVAL;
  int error = lock(table);
  if (error != 0) return error;
  service_block *service = &table->service[service_index];
  const uint32_t *active = active_counts(table, service);
  uint64_t sessions = 0;
  uint64_t from_client = 0;
  for (uint32_t c = 0; c < table->columns; c++) {
    sessions += active[c];
    const entry *found = find(column_entries(table, service, c), service->capacity, key);
    if (found != NULL) from_client += found->count;
  }
  entry *own = find(column_entries(table, service, column), service->capacity, key);
  /* A column's addresses are at most its sessions; a new one may not take its last empty slot. */
  int column_full = own == NULL || (own->count == 0 && active[column] + 1 >= service->capacity);
  int verdict = ADMISSION_ADMITTED;
  if (sessions >= service->limits.max_sessions || column_full) {
    verdict = ADMISSION_MAX_SESSIONS;
  } else if (from_client >= service->limits.max_per_ip) {
    verdict = ADMISSION_MAX_PER_IP;
  } else {
    /* The rate is checked last so that refused connections do not use up tokens. */
    double elapsed_ms = fmax(0, now_ms - service->updated_ms);
    service->tokens = fmin(service->limits.burst, service->tokens + elapsed_ms * service->limits.rate_per_second / 1000);
    service->updated_ms = now_ms;
    if (service->tokens < 1) verdict = ADMISSION_RATE;
  }
  if (verdict == ADMISSION_ADMITTED) {
    service->tokens -= 1;
    if (own->count == 0) memcpy(own->key, key, ADMISSION_KEY_BYTES);
    own->count += 1;
    active_counts(table, service)[column] += 1;
  }
  unlock(table);
  return verdict;
}

int admission_release(admission_table *table, uint32_t service_index, uint32_t column, const char *key) {
  if (!valid(table, service_index, column)) return -EINVAL;
  int error = lock(table);
  if (error != 0) return error;
  service_block *service = &table->service[service_index];
  entry *entries = column_entries(table, service, column);
  entry *found = find(entries, service->capacity, key);
  int missing = found == NULL || found->count == 0;
  if (!missing) {
    if (--found->count == 0) remove_at(entries, service->capacity, (uint32_t)(found - entries));
    uint32_t *active = &active_counts(table, service)[column];
    if (*active > 0) *active -= 1;
  }
  unlock(table);
  return missing;
}

int admission_reclaim(admission_table *table, uint32_t column) {
  if (column >= table->columns) return -EINVAL;
  int error = lock(table);
  if (error != 0) return error;
  for (uint32_t s = 0; s < table->services; s++) {
    service_block *service = &table->service[s];
    active_counts(table, service)[column] = 0;
    memset(column_entries(table, service, column), 0, sizeof(entry) * service->capacity);
  }
  unlock(table);
  return 0;
}

int64_t admission_active(admission_table *table, uint32_t service_index) {
  if (service_index >= table->services) return -EINVAL;
  int error = lock(table);
  if (error != 0) return error;
  const service_block *service = &table->service[service_index];
  int64_t sessions = 0;
  for (uint32_t c = 0; c < table->columns; c++) sessions += active_counts(table, service)[c];
  unlock(table);
  return sessions;
}
