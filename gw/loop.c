/*
 * Event loop implementation: epoll + one timerfd armed to the earliest timer
 * of a binary min-heap (ordered by due time, then by arming order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

#define LOOP_MAX_EVENTS 64

struct loop {
	int epfd;
	int tfd; /* -1 in a virtual loop */
	bool is_virtual;
	bool stop;
	uint64_t virtual_now_ns;
	uint64_t armed_ns; /* what tfd is armed for; 0 = disarmed */
	uint64_t timer_seq;
	struct loop_timer **heap;
	uint32_t heap_len, heap_cap;
	struct loop_io tfd_io;
	struct loop_defer *defer_head, **defer_tail;
	/* the batch being dispatched, so loop_io_del can scrub it */
	struct epoll_event events[LOOP_MAX_EVENTS];
	int nevents, cur_event;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t loop_now_ns(const struct loop *l)
{
	return l->is_virtual ? l->virtual_now_ns : mono_ns();
}

static void tfd_read(struct loop_io *io, uint32_t events)
{
	uint64_t n;
	(void)events;
	ssize_t r = read(io->fd, &n, sizeof(n));
	(void)r;
	((struct loop *)io->arg)->armed_ns = 0;
}

static int loop_alloc(struct loop **lp, bool is_virtual, uint64_t start_ns)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->tfd = -1;
	l->is_virtual = is_virtual;
	l->virtual_now_ns = start_ns;
	l->defer_tail = &l->defer_head;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto fail;
	if (!is_virtual) {
		l->tfd =
		    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (l->tfd < 0)
			goto fail;
		if (loop_io_add(l, &l->tfd_io, l->tfd, EPOLLIN, tfd_read, l))
			goto fail;
	}
	*lp = l;
	return 0;
fail:;
	int err = -errno;
	loop_free(l);
	return err ? err : -EIO;
}

int loop_new(struct loop **lp)
{
	return loop_alloc(lp, false, 0);
}

int loop_new_virtual(struct loop **lp, uint64_t start_ns)
{
	return loop_alloc(lp, true, start_ns);
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->tfd >= 0)
		close(l->tfd);
	if (l->epfd >= 0)
		close(l->epfd);
	for (uint32_t i = 0; i < l->heap_len; i++)
		l->heap[i]->idx = 0;
	free(l->heap);
	free(l);
}

int loop_io_add(struct loop *l, struct loop_io *io, int fd, uint32_t events,
		loop_io_fn *fn, void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	io->fd = fd;
	io->events = events;
	io->fn = fn;
	io->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		io->added = false;
		return -errno;
	}
	io->added = true;
	return 0;
}

int loop_io_mod(struct loop *l, struct loop_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};
	if (!io->added)
		return -EINVAL;
	if (io->events == events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

void loop_io_del(struct loop *l, struct loop_io *io)
{
	if (!io->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->added = false;
	/* events for io still pending in this batch must not be delivered */
	for (int i = l->cur_event + 1; i < l->nevents; i++)
		if (l->events[i].data.ptr == io)
			l->events[i].data.ptr = NULL;
}

/* ---- timers: binary min-heap on (due_ns, seq) ---- */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due_ns < b->due_ns ||
	       (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_set(struct loop *l, uint32_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i + 1;
}

static void heap_up(struct loop *l, uint32_t i)
{
	struct loop_timer *t = l->heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!timer_before(t, l->heap[p]))
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void heap_down(struct loop *l, uint32_t i)
{
	struct loop_timer *t = l->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len &&
		    timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn *fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
}

void loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	if (!t->idx)
		return;
	uint32_t i = t->idx - 1;
	t->idx = 0;
	l->heap_len--;
	if (i == l->heap_len)
		return;
	struct loop_timer *last = l->heap[l->heap_len];
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->idx - 1);
}

void loop_timer_at_ns(struct loop *l, struct loop_timer *t, uint64_t due_ns)
{
	loop_timer_stop(l, t);
	if (l->heap_len == l->heap_cap) {
		uint32_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
		struct loop_timer **h = realloc(l->heap, cap * sizeof(*h));
		if (!h) {
			/* cannot happen in practice; losing a timer would
			 * wedge a call forever, so treat it as fatal */
			abort();
		}
		l->heap = h;
		l->heap_cap = cap;
	}
	t->due_ns = due_ns;
	t->seq = ++l->timer_seq;
	heap_set(l, l->heap_len, t);
	l->heap_len++;
	heap_up(l, l->heap_len - 1);
}

void loop_timer_start_ns(struct loop *l, struct loop_timer *t,
			 uint64_t delay_ns)
{
	loop_timer_at_ns(l, t, loop_now_ns(l) + delay_ns);
}

void loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms)
{
	loop_timer_start_ns(l, t, delay_ms * 1000000u);
}

unsigned loop_timer_count(const struct loop *l)
{
	return l->heap_len;
}

/* Fires every timer due at or before now; returns how many fired. */
static unsigned run_timers(struct loop *l, uint64_t now)
{
	unsigned n = 0;
	while (l->heap_len && l->heap[0]->due_ns <= now) {
		struct loop_timer *t = l->heap[0];
		loop_timer_stop(l, t);
		t->fn(t);
		n++;
	}
	return n;
}

/* ---- deferred calls ---- */

void loop_defer(struct loop *l, struct loop_defer *d, loop_defer_fn *fn,
		void *arg)
{
	if (d->queued)
		return;
	d->fn = fn;
	d->arg = arg;
	d->next = NULL;
	d->queued = true;
	*l->defer_tail = d;
	l->defer_tail = &d->next;
}

void loop_defer_cancel(struct loop *l, struct loop_defer *d)
{
	if (!d->queued)
		return;
	for (struct loop_defer **pp = &l->defer_head; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			if (l->defer_tail == &d->next)
				l->defer_tail = pp;
			break;
		}
	}
	d->queued = false;
}

static void run_deferred(struct loop *l)
{
	while (l->defer_head) {
		struct loop_defer *d = l->defer_head;
		l->defer_head = d->next;
		if (!l->defer_head)
			l->defer_tail = &l->defer_head;
		d->queued = false;
		d->fn(d);
	}
}

/* ---- dispatch ---- */

static void arm_timerfd(struct loop *l)
{
	uint64_t due = l->heap_len ? l->heap[0]->due_ns : 0;
	if (due == l->armed_ns)
		return;
	struct itimerspec its = {0};
	if (due) {
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
	l->armed_ns = due;
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	run_deferred(l);
	int wait = max_wait_ms;
	if (l->is_virtual)
		wait = max_wait_ms < 0 ? 0 : max_wait_ms;
	else
		arm_timerfd(l);

	int n = epoll_wait(l->epfd, l->events, LOOP_MAX_EVENTS, wait);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	l->nevents = n;
	for (l->cur_event = 0; l->cur_event < n; l->cur_event++) {
		struct epoll_event *ev = &l->events[l->cur_event];
		struct loop_io *io = ev->data.ptr;
		if (io)
			io->fn(io, ev->events);
	}
	l->nevents = 0;
	l->cur_event = 0;
	if (!l->is_virtual)
		run_timers(l, mono_ns());
	run_deferred(l);
	return 0;
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int err = loop_run_once(l, -1);
		if (err)
			return err;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

void loop_advance(struct loop *l, uint64_t ns)
{
	uint64_t end = l->virtual_now_ns + ns;
	while (l->heap_len && l->heap[0]->due_ns <= end) {
		if (l->heap[0]->due_ns > l->virtual_now_ns)
			l->virtual_now_ns = l->heap[0]->due_ns;
		run_timers(l, l->virtual_now_ns);
		run_deferred(l);
	}
	l->virtual_now_ns = end;
	run_deferred(l);
}
