/*
 * child-idle.c: the machine's CPUs while no workload runs.
 *
 * Between workloads the process's thread is CPU 0 (child.c) and serves
 * requests.  In parallel mode an interrupt is taken by the host thread of
 * its CPU (libnbmem delivers it by signal to whichever thread entered the
 * CPU); a CPU nobody has entered keeps its arrivals pending.  So that
 * sources aimed at other CPUs (intr.add with a "cpu" or "all" target) are
 * handled as on a real machine, a host thread of this file enters each
 * other CPU and waits there, taking its interrupts, until a workload needs
 * the CPUs: child_idle_stop() before the runner starts, child_idle_start()
 * once it has finished.  Arrivals that came while a CPU was between
 * threads are run when the next thread enters it.
 *
 * In deterministic mode the machine's time stands still while no workload
 * runs, nothing arrives, and there are no idle threads.
 *
 * The idle threads wait in poll(2) on a pipe, as the process's thread
 * waits for requests; closing the pipe's write end ends them all.  (A
 * wait in poll also lets ThreadSanitizer run the interrupt's handler at
 * once; in read(2) it would hold the signal back until the read returned.)
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "child.h"

struct child_idle {
	struct nbm_machine *ci_m;	/* the machine */
	u_int		 ci_cpu;	/* the CPU this thread is */
	int		 ci_fd;		/* read end of the pipe */
	pthread_t	 ci_thread;
};

static struct child_idle *child_idle;	/* one a CPU but 0, or NULL */
static u_int child_nidle;
static int child_idlepipe[2] = { -1, -1 };

static void *
child_idle_thread(void *arg)
{
	struct child_idle *ci = arg;
	struct pollfd pfd;

	if (nbm_cpu_enter(ci->ci_m, ci->ci_cpu) != 0)
		return NULL;
	pfd.fd = ci->ci_fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		continue;
	nbm_cpu_exit();
	return NULL;
}

/* child_idle_start: a host thread on each CPU but 0 (parallel mode). */
void
child_idle_start(struct child *c)
{
	const struct nbm_config *cfg = nbm_machine_config(c->c_m);
	u_int i;

	if (child_idle != NULL || cfg->mode != NBM_MODE_PARALLEL ||
	    cfg->ncpu < 2)
		return;
	if (pipe(child_idlepipe) != 0)
		_exit(NBMD_CHILD_EXIT_PROTO);
	child_nidle = cfg->ncpu - 1;
	child_idle = xcalloc(child_nidle, sizeof(*child_idle));
	for (i = 0; i < child_nidle; i++) {
		child_idle[i].ci_m = c->c_m;
		child_idle[i].ci_cpu = i + 1;
		child_idle[i].ci_fd = child_idlepipe[0];
		if (pthread_create(&child_idle[i].ci_thread, NULL,
		    child_idle_thread, &child_idle[i]) != 0)
			_exit(NBMD_CHILD_EXIT_PROTO);
	}
}

/* child_idle_stop: every idle thread leaves its CPU and ends. */
void
child_idle_stop(struct child *c)
{
	u_int i;

	if (child_idle == NULL)
		return;
	close(child_idlepipe[1]);
	for (i = 0; i < child_nidle; i++)
		pthread_join(child_idle[i].ci_thread, NULL);
	close(child_idlepipe[0]);
	child_idlepipe[0] = child_idlepipe[1] = -1;
	free(child_idle);
	child_idle = NULL;
	child_nidle = 0;
}
