/*
 * t_kern_sched: scheduled threads, sleeping and waking, the deterministic
 * and parallel run loops, and deadlock detection (kern_sched.c, and the
 * scheduler paths of kern_mutex.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

/*
 * Interleaving log: each thread appends its id at every step.
 */
#define LOGMAX 4096
struct ilog {
	kmutex_t	lock;
	u_int		n;
	u_int		ent[LOGMAX];
};

struct stepper {
	struct ilog	*log;
	u_int		 id;
	u_int		 steps;
};

static void
stepper_main(void *arg)
{
	struct stepper *st = arg;
	u_int i;

	for (i = 0; i < st->steps; i++) {
		mutex_enter(&st->log->lock);
		if (st->log->n < LOGMAX)
			st->log->ent[st->log->n++] = st->id * 1000 +
			    cpu_number();
		mutex_exit(&st->log->lock);
		nbm_sched_charge(100);
		yield();
	}
}

static void
run_steppers(uint64_t seed, struct ilog *log)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 4, seed);
	struct stepper st[8];
	u_int i;

	memset(log, 0, sizeof(*log));
	mutex_init(&log->lock, MUTEX_DEFAULT, IPL_NONE);
	for (i = 0; i < 8; i++) {
		st[i] = (struct stepper){ log, i, 50 };
		ATF_REQUIRE_EQ(nbm_lwp_create(m, i % 4, "stepper",
		    stepper_main, &st[i], NULL), 0);
	}
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	/* 8 threads x 50 steps of 100 ns of virtual time */
	ATF_CHECK_EQ(nbm_machine_uptime_ns(m), 8 * 50 * 100);
	nbm_machine_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(deterministic_interleaving);
ATF_TC_BODY(deterministic_interleaving, tc)
{
	static struct ilog a, b, c;

	run_steppers(7, &a);
	run_steppers(7, &b);
	run_steppers(8, &c);
	ATF_REQUIRE_EQ(a.n, 400);
	ATF_REQUIRE_EQ(b.n, 400);
	ATF_CHECK_MSG(memcmp(a.ent, b.ent, sizeof(a.ent)) == 0,
	    "same seed, different interleaving");
	ATF_CHECK_MSG(memcmp(a.ent, c.ent, sizeof(a.ent)) != 0,
	    "different seeds, same interleaving");
}

struct counter_arg {
	kmutex_t	*lock;
	uint64_t	*counter;
};

static void
counter_main(void *arg)
{
	struct counter_arg *a = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		mutex_enter(a->lock);
		(*a->counter)++;
		mutex_exit(a->lock);
		if ((i & 63) == 0)
			yield();
	}
}

ATF_TC_WITHOUT_HEAD(parallel_threads);
ATF_TC_BODY(parallel_threads, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_PARALLEL, 2, 0);
	struct counter_arg a;
	kmutex_t lock;
	uint64_t counter = 0;
	int i;

	mutex_init(&lock, MUTEX_DEFAULT, IPL_NONE);
	a.lock = &lock;
	a.counter = &counter;
	for (i = 0; i < 6; i++)
		ATF_REQUIRE_EQ(nbm_lwp_create(m, (u_int)i % 2, "counter",
		    counter_main, &a, NULL), 0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	ATF_CHECK_EQ(counter, 6 * 20000);
	nbm_machine_shutdown(m);
}

/*
 * Producer and consumer on a condition variable, on the same CPU and on
 * different CPUs, in both modes.
 */
struct pc {
	kmutex_t	lock;
	kcondvar_t	cv;
	int		slot;		/* 0 empty */
	int		done;
	uint64_t	sum;
};

static void
producer(void *arg)
{
	struct pc *pc = arg;
	int i;

	for (i = 1; i <= 1000; i++) {
		mutex_enter(&pc->lock);
		while (pc->slot != 0)
			cv_wait(&pc->cv, &pc->lock);
		pc->slot = i;
		cv_broadcast(&pc->cv);
		mutex_exit(&pc->lock);
	}
}

static void
consumer(void *arg)
{
	struct pc *pc = arg;
	int i;

	for (i = 1; i <= 1000; i++) {
		mutex_enter(&pc->lock);
		while (pc->slot == 0)
			cv_wait(&pc->cv, &pc->lock);
		pc->sum += (uint64_t)pc->slot;
		pc->slot = 0;
		cv_broadcast(&pc->cv);
		mutex_exit(&pc->lock);
	}
}

static void
run_pc(int mode, u_int pcpu, u_int ccpu)
{
	struct nbm_machine *m = h_boot_mode(mode, 2, 3);
	struct pc pc;

	memset(&pc, 0, sizeof(pc));
	mutex_init(&pc.lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&pc.cv, "slot");
	ATF_REQUIRE_EQ(nbm_lwp_create(m, ccpu, "consumer", consumer, &pc,
	    NULL), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, pcpu, "producer", producer, &pc,
	    NULL), 0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	ATF_CHECK_EQ(pc.sum, 1000 * 1001 / 2);
	nbm_machine_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(condvar_producer_consumer);
ATF_TC_BODY(condvar_producer_consumer, tc)
{

	run_pc(NBM_MODE_DETERMINISTIC, 0, 0);
	run_pc(NBM_MODE_DETERMINISTIC, 0, 1);
	run_pc(NBM_MODE_PARALLEL, 0, 0);
	run_pc(NBM_MODE_PARALLEL, 0, 1);
}

/*
 * A thread sleeps holding an adaptive mutex; another thread of the same
 * CPU wants it and must sleep on it, not spin the CPU's host thread.
 */
struct holder {
	kmutex_t	lock;
	int		order[2];
	int		n;
};

static void
holder_main(void *arg)
{
	struct holder *h = arg;

	mutex_enter(&h->lock);
	kpause("hold", false, 5, NULL);
	h->order[h->n++] = 1;
	mutex_exit(&h->lock);
}

static void
waiter_main(void *arg)
{
	struct holder *h = arg;

	mutex_enter(&h->lock);
	h->order[h->n++] = 2;
	mutex_exit(&h->lock);
}

ATF_TC_WITHOUT_HEAD(mutex_sleep_same_cpu);
ATF_TC_BODY(mutex_sleep_same_cpu, tc)
{
	int mode;

	for (mode = 0; mode <= 1; mode++) {
		struct nbm_machine *m = h_boot_mode(mode, 1, 1);
		struct holder h;

		memset(&h, 0, sizeof(h));
		mutex_init(&h.lock, MUTEX_DEFAULT, IPL_NONE);
		ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "holder", holder_main,
		    &h, NULL), 0);
		ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "waiter", waiter_main,
		    &h, NULL), 0);
		ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
		ATF_CHECK_EQ(h.n, 2);
		ATF_CHECK_EQ(h.order[0], 1);
		ATF_CHECK_EQ(h.order[1], 2);
		if (mode == NBM_MODE_DETERMINISTIC)	/* 5 ticks at hz 100 */
			ATF_CHECK_EQ(nbm_machine_uptime_ns(m), 50000000ULL);
		nbm_machine_shutdown(m);
	}
}

static void
sleeper_forever(void *arg)
{
	kcondvar_t *cv = arg;
	kmutex_t lock;

	mutex_init(&lock, MUTEX_DEFAULT, IPL_NONE);
	mutex_enter(&lock);
	cv_wait(cv, &lock);
	mutex_exit(&lock);
}

ATF_TC_WITHOUT_HEAD(deadlock_is_a_panic);
ATF_TC_BODY(deadlock_is_a_panic, tc)
{
	int mode;

	for (mode = 0; mode <= 1; mode++) {
		struct nbm_machine *m = h_boot_mode(mode, 2, 1);
		kcondvar_t cv1, cv2;

		cv_init(&cv1, "never1");
		cv_init(&cv2, "never2");
		ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "stuck-a",
		    sleeper_forever, &cv1, NULL), 0);
		ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "stuck-b",
		    sleeper_forever, &cv2, NULL), 0);
		ATF_CHECK_EQ(nbm_machine_run(m, 0), ENOTRECOVERABLE);
		ATF_CHECK(nbm_machine_dead(m));
		/* The page daemon sleeps too: nothing is short. */
		ATF_CHECK_MSG(strstr(h_panicmsg(), "deadlock: all 3 threads "
		    "are asleep and nothing can wake them:") != NULL,
		    "panic: %s", h_panicmsg());
		ATF_CHECK(strstr(h_panicmsg(), "(pgdaemon) on cpu0 waits on "
		    "\"pgdaemon\"") != NULL);
		ATF_CHECK(strstr(h_panicmsg(), "(stuck-a) on cpu0 waits on "
		    "\"never1\"") != NULL);
		ATF_CHECK(strstr(h_panicmsg(), "(stuck-b) on cpu1 waits on "
		    "\"never2\"") != NULL);
		nbm_machine_shutdown(m);
	}
}

static void
spinner(void *arg)
{

	for (;;) {
		nbm_sched_charge(1000);
		yield();
	}
}

ATF_TC_WITHOUT_HEAD(run_limit_and_resume);
ATF_TC_BODY(run_limit_and_resume, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 1);

	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "spin", spinner, NULL, NULL), 0);
	ATF_CHECK_EQ(nbm_machine_run(m, 1000000), ETIMEDOUT);
	ATF_CHECK_EQ(nbm_machine_uptime_ns(m), 1000000);
	ATF_CHECK_EQ(nbm_machine_run(m, 500000), ETIMEDOUT);
	ATF_CHECK_EQ(nbm_machine_uptime_ns(m), 1500000);
	nbm_machine_shutdown(m);
}

static void *
stopper_thread(void *arg)
{
	struct timespec ts = { 0, 20000000 };

	nanosleep(&ts, NULL);
	nbm_machine_stop(arg);
	return NULL;
}

static void
parallel_spinner(void *arg)
{

	for (;;)
		yield();
}

ATF_TC_WITHOUT_HEAD(stop_from_another_thread);
ATF_TC_BODY(stop_from_another_thread, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_PARALLEL, 2, 1);
	pthread_t t;

	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "spin", parallel_spinner, NULL,
	    NULL), 0);
	pthread_create(&t, NULL, stopper_thread, m);
	ATF_CHECK_EQ(nbm_machine_run(m, 0), EINTR);
	pthread_join(t, NULL);
	/* The CPUs are free again. */
	ATF_CHECK_EQ(nbm_cpu_enter(m, 1), 0);
	nbm_cpu_exit();
	nbm_machine_shutdown(m);
}

static void
panicker(void *arg)
{

	yield();
	panic("thread panic %d", 7);
}

ATF_TC_WITHOUT_HEAD(panic_in_thread);
ATF_TC_BODY(panic_in_thread, tc)
{
	int mode;

	for (mode = 0; mode <= 1; mode++) {
		struct nbm_machine *m = h_boot_mode(mode, 2, 1);

		ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "boom", panicker, NULL,
		    NULL), 0);
		ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "spin", spinner, NULL,
		    NULL), 0);
		ATF_CHECK_EQ(nbm_machine_run(m, 0), ENOTRECOVERABLE);
		ATF_CHECK_STREQ(h_panicmsg(), "thread panic 7");
		ATF_CHECK_EQ(nbm_lwp_create(m, 0, "late", spinner, NULL, NULL),
		    ENXIO);
		nbm_machine_shutdown(m);
	}
}

static void
timed_waiter(void *arg)
{
	kcondvar_t cv;
	kmutex_t lock;
	int *res = arg;

	cv_init(&cv, "tw");
	mutex_init(&lock, MUTEX_DEFAULT, IPL_NONE);
	mutex_enter(&lock);
	*res = cv_timedwait(&cv, &lock, 3);
	mutex_exit(&lock);
}

ATF_TC_WITHOUT_HEAD(timed_wait_virtual_time);
ATF_TC_BODY(timed_wait_virtual_time, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 1);
	int res = -1;

	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "tw", timed_waiter, &res, NULL),
	    0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	ATF_CHECK_EQ(res, EWOULDBLOCK);
	ATF_CHECK_EQ(nbm_machine_uptime_ns(m), 30000000ULL);
	nbm_machine_shutdown(m);
}

static void
many_switches(void *arg)
{
	int i;

	for (i = 0; i < 2000; i++)
		yield();
	(*(_Atomic int *)arg)++;
}

ATF_TC_WITHOUT_HEAD(many_threads);
ATF_TC_BODY(many_threads, tc)
{
	int mode;

	for (mode = 0; mode <= 1; mode++) {
		struct nbm_machine *m = h_boot_mode(mode, 4, 5);
		_Atomic int done = 0;
		int i;

		for (i = 0; i < 64; i++)
			ATF_REQUIRE_EQ(nbm_lwp_create(m, (u_int)i % 4, "many",
			    many_switches, &done, NULL), 0);
		ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
		ATF_CHECK_EQ(done, 64);
		nbm_machine_shutdown(m);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, deterministic_interleaving);
	ATF_TP_ADD_TC(tp, parallel_threads);
	ATF_TP_ADD_TC(tp, condvar_producer_consumer);
	ATF_TP_ADD_TC(tp, mutex_sleep_same_cpu);
	ATF_TP_ADD_TC(tp, deadlock_is_a_panic);
	ATF_TP_ADD_TC(tp, run_limit_and_resume);
	ATF_TP_ADD_TC(tp, stop_from_another_thread);
	ATF_TP_ADD_TC(tp, panic_in_thread);
	ATF_TP_ADD_TC(tp, timed_wait_virtual_time);
	ATF_TP_ADD_TC(tp, many_threads);
	return atf_no_error();
}
