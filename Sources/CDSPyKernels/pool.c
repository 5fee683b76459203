// A small persistent worker pool: the caller publishes a job, the workers (spinning
// briefly, then sleeping on a condition variable) join it, and everyone claims chunks
// of the job's work from a shared counter. Workers run a job under the caller's float order
// (dspy_set_kernel_order) and hand the kernel paths they counted back to the caller, so
// both are per caller whatever thread ran the work. A worker that has not joined by the time
// the caller ran out of chunks is shut out of that job (a compare-and-swap on its
// slot), so a descheduled worker never makes the caller wait: on a busy machine the
// job degrades to the caller's speed instead of stalling. Cost per job: ~1 µs.
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#if DSPY_X86
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

// Idle workers poll for about a millisecond before sleeping, yielding every few polls so
// that on an oversubscribed machine a worker sharing a core with the caller hands it back.
enum { SPIN_ROUNDS = 1 << 14, YIELD_EVERY = 128 };
enum { SLOT_OPEN = 1, SLOT_RUNNING = 2, SLOT_DONE = 3, SLOT_CLOSED = 4 };

struct dspy_pool {
    int threads;
    pthread_t *workers;
    _Atomic unsigned generation;
    _Atomic int *slots;  // per worker: whether it joined the current job
    _Atomic int stopping;
    dspy_job job;
    void *context;
    int order;         // the caller's dspy_kernel_order_override() for the current job
    uint64_t *counted; // per worker: DSPY_PATH_COUNT path counts of the current job
    pthread_mutex_t mutex;
    pthread_cond_t wake;
};

typedef struct {
    dspy_pool *pool;
    int index;
} worker_start;

static void *worker_main(void *argument) {
    worker_start start = *(worker_start *)argument;
    free(argument);
    dspy_pool *pool = start.pool;
    unsigned seen = 0;
    for (;;) {
        unsigned now = atomic_load_explicit(&pool->generation, memory_order_acquire);
        for (int spin = 1; now == seen && spin < SPIN_ROUNDS; spin++) {
            if (spin % YIELD_EVERY == 0) sched_yield();
            else CPU_RELAX();
            now = atomic_load_explicit(&pool->generation, memory_order_acquire);
        }
        if (now == seen) {
            pthread_mutex_lock(&pool->mutex);
            while ((now = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        seen = now;
        if (atomic_load_explicit(&pool->stopping, memory_order_acquire)) return NULL;
        int expected = SLOT_OPEN;
        if (atomic_compare_exchange_strong_explicit(&pool->slots[start.index], &expected, SLOT_RUNNING,
                                                    memory_order_acq_rel, memory_order_acquire)) {
            uint64_t before[DSPY_PATH_COUNT], after[DSPY_PATH_COUNT];
            uint64_t *counted = pool->counted + (size_t)start.index * DSPY_PATH_COUNT;
            for (int i = 0; i < DSPY_PATH_COUNT; i++) counted[i] = 0;
            dspy_set_kernel_order(pool->order);
            dspy_path_counts_snapshot(before);
            pool->job(pool->context, start.index, pool->threads);
            dspy_path_counts_snapshot(after);
            dspy_path_counts_add_since(before, after, counted);
            atomic_store_explicit(&pool->slots[start.index], SLOT_DONE, memory_order_release);
        }
    }
}

dspy_pool *dspy_pool_create(int threads) {
    if (threads < 1) threads = 1;
    dspy_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->threads = threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)threads, sizeof(pthread_t));
    pool->slots = calloc((size_t)threads, sizeof(*pool->slots));
    pool->counted = calloc((size_t)threads * DSPY_PATH_COUNT, sizeof(uint64_t));
    if (!pool->workers || !pool->slots || !pool->counted) {
        free(pool->workers);
        free((void *)pool->slots);
        free(pool->counted);
        free(pool);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        worker_start *start = malloc(sizeof *start);
        start->pool = pool;
        start->index = i;
        if (pthread_create(&pool->workers[i], NULL, worker_main, start) != 0) {
            free(start);
            pool->threads = i;  // run with the threads we have
            break;
        }
    }
    return pool;
}

int dspy_pool_threads(const dspy_pool *pool) { return pool ? pool->threads : 1; }

static void publish(dspy_pool *pool) {
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
}

void dspy_pool_run(dspy_pool *pool, dspy_job job, void *context) {
    if (!pool || pool->threads == 1) {
        job(context, 0, 1);
        return;
    }
    pool->job = job;
    pool->context = context;
    pool->order = dspy_kernel_order_override();
    for (int i = 1; i < pool->threads; i++)
        atomic_store_explicit(&pool->slots[i], SLOT_OPEN, memory_order_release);
    publish(pool);
    job(context, 0, pool->threads);
    for (int i = 1; i < pool->threads; i++) {
        int expected = SLOT_OPEN;
        if (atomic_compare_exchange_strong_explicit(&pool->slots[i], &expected, SLOT_CLOSED,
                                                    memory_order_acq_rel, memory_order_acquire))
            continue;  // never joined: it will skip this job
        for (int spin = 0; atomic_load_explicit(&pool->slots[i], memory_order_acquire) != SLOT_DONE; spin++) {
            if (spin < 4096) CPU_RELAX();
            else sched_yield();
        }
        dspy_path_counts_merge(pool->counted + (size_t)i * DSPY_PATH_COUNT);
    }
}

void dspy_pool_destroy(dspy_pool *pool) {
    if (!pool) return;
    atomic_store_explicit(&pool->stopping, 1, memory_order_release);
    publish(pool);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i], NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_cond_destroy(&pool->wake);
    free(pool->workers);
    free((void *)pool->slots);
    free(pool->counted);
    free(pool);
}

typedef struct {
    dspy_task task;
    void *context;
    int count;
    _Atomic int next;
} parallel_for_job;

static void parallel_for_worker(void *context, int ith, int nth) {
    (void)nth;
    parallel_for_job *job = context;
    for (;;) {
        int index = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (index >= job->count) return;
        job->task(job->context, index, ith);
    }
}

void dspy_parallel_for(dspy_pool *pool, int count, dspy_task task, void *context) {
    parallel_for_job job = {task, context, count, 0};
    dspy_pool_run(pool, parallel_for_worker, &job);
}
