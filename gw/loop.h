/*
 * The event loop: epoll for file descriptors, a binary heap of timers behind
 * one timerfd, and deferred calls that run after the current dispatch (for
 * freeing an object from inside its own callback). A virtual-clock variant
 * lets unit tests run timers in simulated time with loop_advance().
 *
 * Handles (struct loop_io, struct loop_timer, struct loop_defer) live inside
 * their owners; the loop never allocates or frees them.
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_io;
struct loop_timer;
struct loop_defer;

typedef void loop_io_fn(struct loop_io *io, uint32_t events);
typedef void loop_timer_fn(struct loop_timer *t);
typedef void loop_defer_fn(struct loop_defer *d);

/* A watched file descriptor. `arg` is the owner's. */
struct loop_io {
	int fd;
	uint32_t events; /* EPOLLIN, EPOLLOUT, EPOLLPRI ... */
	loop_io_fn *fn;
	void *arg;
	bool added;
};

/* A one-shot timer; re-start it from its callback for periodic work. */
struct loop_timer {
	uint64_t due_ns;
	uint64_t seq; /* FIFO order among timers due at the same time */
	uint32_t idx; /* position in the heap + 1; 0 when not armed */
	loop_timer_fn *fn;
	void *arg;
};

/* A call made once, after the current round of callbacks. */
struct loop_defer {
	struct loop_defer *next;
	loop_defer_fn *fn;
	void *arg;
	bool queued;
};

/* Creates a loop on CLOCK_MONOTONIC. Returns 0 or -errno; *lp set on success.
 */
int loop_new(struct loop **lp);

/*
 * Creates a loop whose clock stands still at start_ns until loop_advance()
 * moves it: for unit tests of timer-driven code (no timerfd involved).
 */
int loop_new_virtual(struct loop **lp, uint64_t start_ns);

/* Frees the loop; registered handles are simply forgotten. NULL is a no-op. */
void loop_free(struct loop *l);

/* The loop's clock: monotonic nanoseconds (virtual time in a virtual loop). */
uint64_t loop_now_ns(const struct loop *l);
static inline uint64_t loop_now_ms(const struct loop *l)
{
	return loop_now_ns(l) / 1000000u;
}

/* Starts watching fd. Returns 0 or -errno (the callback is never called then).
 */
int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events,
		loop_io_fn *fn, void *arg);
/* Changes the watched events. Returns 0 or -errno. */
int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events);
/* Stops watching; safe from any callback, including io's own. Idempotent. */
void loop_io_del(struct loop *l, struct loop_io *io);

void loop_timer_init(struct loop_timer *t, loop_timer_fn *fn, void *arg);
/* (Re)arms the timer delay_ms from now. */
void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms);
void loop_timer_start_ns(struct loop *l, struct loop_timer *t,
			 uint64_t delay_ns);
/* (Re)arms the timer for an absolute time on the loop's clock. */
void loop_timer_at_ns(struct loop *l, struct loop_timer *t, uint64_t due_ns);
/* Disarms the timer; safe when not armed. */
void loop_timer_stop(struct loop *l, struct loop_timer *t);
static inline bool loop_timer_armed(const struct loop_timer *t)
{
	return t->idx != 0;
}

/* Queues d to run after the current dispatch round. Idempotent while queued. */
void loop_defer(struct loop *l, struct loop_defer *d, loop_defer_fn *fn,
		void *arg);
/* Unqueues d if queued. */
void loop_defer_cancel(struct loop *l, struct loop_defer *d);

/*
 * Waits up to max_wait_ms (-1: until the next timer or event) and dispatches
 * fd events, due timers and deferred calls. Returns 0 or -errno.
 */
int loop_run_once(struct loop *l, int max_wait_ms);

/* Dispatches until loop_stop() is called. Returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/*
 * Virtual loops only: moves the clock forward by ns, firing every timer that
 * falls due on the way, each at its own due time, in order.
 */
void loop_advance(struct loop *l, uint64_t ns);

/* Number of armed timers (for tests and metrics). */
unsigned loop_timer_count(const struct loop *l);

#endif
