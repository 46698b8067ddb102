/* Unit tests for the event loop: timer ordering in virtual time, removal
 * from inside callbacks, deferred calls, and fd dispatch. */
#include <stdlib.h>
#include <unistd.h>

#include "loop.h"
#include "t.h"

static struct loop *L;
static char order[64];
static size_t norder;

static void mark(struct loop_timer *t)
{
	order[norder++] = *(const char *)t->arg;
	order[norder] = '\0';
}

TEST(timers_fire_in_due_order_then_fifo)
{
	CHECK(loop_new_virtual(&L, 1000) == 0);
	struct loop_timer a, b, c, d;
	static char names[] = "abcd";
	norder = 0;
	loop_timer_init(&a, mark, &names[0]);
	loop_timer_init(&b, mark, &names[1]);
	loop_timer_init(&c, mark, &names[2]);
	loop_timer_init(&d, mark, &names[3]);
	loop_timer_start(L, &a, 30);
	loop_timer_start(L, &b, 10);
	loop_timer_start(L, &c, 30); /* same due time as a: after a */
	loop_timer_start(L, &d, 20);
	loop_timer_stop(L, &d);
	CHECK_INT(loop_timer_count(L), 3);
	loop_advance(L, 9 * 1000000ull);
	CHECK_STR(order, "");
	loop_advance(L, 1000000ull);
	CHECK_STR(order, "b");
	loop_advance(L, 100 * 1000000ull);
	CHECK_STR(order, "bac");
	CHECK_INT(loop_timer_count(L), 0);
	CHECK(!loop_timer_armed(&a));
	loop_free(L);
}

static uint64_t seen_at;
static void note_time(struct loop_timer *t)
{
	seen_at = loop_now_ns(t->arg);
}

TEST(timer_sees_its_own_due_time)
{
	CHECK(loop_new_virtual(&L, 0) == 0);
	struct loop_timer t;
	loop_timer_init(&t, note_time, L);
	loop_timer_start(L, &t, 5);
	loop_advance(L, 1000000000ull);
	CHECK_INT(seen_at, 5000000);
	CHECK_INT(loop_now_ns(L), 1000000000);
	loop_free(L);
}

static struct loop_timer many[1000];
static unsigned fired;
static uint64_t last_due;
static bool out_of_order;
static void count_fire(struct loop_timer *t)
{
	if (t->due_ns < last_due)
		out_of_order = true;
	last_due = t->due_ns;
	fired++;
}

TEST(heap_keeps_order_under_random_stop_and_restart)
{
	CHECK(loop_new_virtual(&L, 0) == 0);
	srand(7);
	for (int i = 0; i < 1000; i++) {
		loop_timer_init(&many[i], count_fire, NULL);
		loop_timer_start(L, &many[i], (uint64_t)(rand() % 5000));
	}
	for (int i = 0; i < 3000; i++) {
		int k = rand() % 1000;
		if (rand() % 2)
			loop_timer_stop(L, &many[k]);
		else
			loop_timer_start(L, &many[k],
					 (uint64_t)(rand() % 5000));
	}
	unsigned armed = loop_timer_count(L);
	fired = 0;
	last_due = 0;
	out_of_order = false;
	loop_advance(L, 10000 * 1000000ull);
	CHECK_INT(fired, armed);
	CHECK(!out_of_order);
	loop_free(L);
}

static struct loop_io io_a, io_b;
static int a_calls, b_calls;
static void on_a(struct loop_io *io, uint32_t ev)
{
	(void)ev;
	char c;
	a_calls++;
	if (read(io->fd, &c, 1) != 1)
		return;
	loop_io_del(L, &io_b); /* b's pending event must not arrive */
}
static void on_b(struct loop_io *io, uint32_t ev)
{
	(void)ev;
	(void)io;
	b_calls++;
	loop_io_del(L, &io_a);
}

TEST(io_removed_during_dispatch_is_not_called)
{
	int pa[2], pb[2];
	CHECK(loop_new(&L) == 0);
	CHECK(pipe(pa) == 0 && pipe(pb) == 0);
	CHECK(loop_io_add(L, &io_a, pa[0], EPOLLIN, on_a, NULL) == 0);
	CHECK(loop_io_add(L, &io_b, pb[0], EPOLLIN, on_b, NULL) == 0);
	CHECK(write(pa[1], "x", 1) == 1 && write(pb[1], "y", 1) == 1);
	a_calls = b_calls = 0;
	CHECK(loop_run_once(L, 100) == 0);
	CHECK_INT(a_calls + b_calls, 1);
	loop_io_del(L, &io_a);
	loop_io_del(L, &io_b);
	close(pa[0]), close(pa[1]), close(pb[0]), close(pb[1]);
	loop_free(L);
}

static int deferred;
static void on_defer(struct loop_defer *d)
{
	(void)d;
	deferred++;
}
static struct loop_defer dd;
static void timer_defers(struct loop_timer *t)
{
	(void)t;
	loop_defer(L, &dd, on_defer, NULL);
	loop_defer(L, &dd, on_defer, NULL); /* idempotent */
}

TEST(real_timer_fires_and_defer_runs_once)
{
	struct loop_timer t;
	CHECK(loop_new(&L) == 0);
	loop_timer_init(&t, timer_defers, NULL);
	/* t0 before the start: the timer is due 2 ms after the clock read
	 * inside loop_timer_start, which is at or after t0 */
	uint64_t t0 = loop_now_ns(L);
	loop_timer_start(L, &t, 2);
	deferred = 0;
	while (loop_timer_armed(&t) && loop_now_ns(L) - t0 < 1000000000ull)
		CHECK(loop_run_once(L, -1) == 0);
	CHECK(!loop_timer_armed(&t));
	CHECK(loop_now_ns(L) - t0 >= 2000000ull);
	CHECK_INT(deferred, 1);
	loop_free(L);
}
