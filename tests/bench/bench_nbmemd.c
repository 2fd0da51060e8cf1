/*
 * bench_nbmemd: what nbmemd costs -- control requests per second, the
 * price of recording a sample, and the speed of history exports.
 *
 * The benchmark starts the nbmemd built beside it (../../daemon/nbmemd
 * from this program) on a private socket and database in a temporary
 * directory, with NBMEMD_TEST unset, and speaks the protocol over the
 * Unix socket with plain reads and writes (one request, then its answer:
 * a round trip), so that what it measures is the daemon and not a client
 * library.  Measured:
 *
 *  - hello round trips per second on one connection (target: over
 *    50,000), and on four connections at once (a thread each), the best
 *    and the median of five one-second runs;
 *  - pool.list round trips per second with 200 pools on the machine, on
 *    one and four connections (each answer is the 200 kern.pool records,
 *    fetched from the machine process);
 *  - the cost of recording a sample with 200 pools: the CPU time of the
 *    daemon and its machine process (from /proc) per committed sample,
 *    recording every 20 ms, and their CPU share when recording every
 *    second (target: under 1% of a core);
 *  - history.export rows per second, of the pool table.
 *
 * Figures depend on the host; run it on a quiet machine.  Nothing here is
 * a pass/fail test, except that the daemon must answer.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_POOLS	200	/* pools on the machine */
#define BENCH_SECONDS	1.0	/* per round-trip run */
#define BENCH_TRIALS	5	/* runs per round-trip figure */
#define BENCH_CONNS	4

struct conn {
	int	 c_fd;
	char	*c_buf;		/* what was read and not consumed */
	size_t	 c_len;
	size_t	 c_cap;
	size_t	 c_used;	/* bytes of the line last returned */
	int	 c_id;		/* request ids */
};

static char	bench_dir[PATH_MAX];
static char	bench_sock[PATH_MAX + 16];
static char	bench_conf[PATH_MAX + 16];
static pid_t	bench_pid;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((__noreturn__, __format__(__printf__, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench_nbmemd: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (bench_pid > 0)
		kill(bench_pid, SIGKILL);
	exit(1);
}

static void
conn_open(struct conn *c)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(bench_sock) >= sizeof(sun.sun_path))
		die("%s: path too long for a socket", bench_sock);
	memcpy(sun.sun_path, bench_sock, strlen(bench_sock) + 1);
	if ((c->c_fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(c->c_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		die("connect %s: %s", bench_sock, strerror(errno));
	c->c_cap = 1 << 16;
	if ((c->c_buf = malloc(c->c_cap)) == NULL)
		die("out of memory");
}

static void
conn_close(struct conn *c)
{

	close(c->c_fd);
	free(c->c_buf);
}

static void
conn_send(struct conn *c, const char *method, const char *params)
{
	char line[1024];
	size_t off = 0;
	ssize_t n;
	int len;

	len = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%d,"
	    "\"method\":\"%s\"%s%s}\n", ++c->c_id, method,
	    params != NULL ? ",\"params\":" : "", params != NULL ? params : "");
	while (off < (size_t)len) {
		if ((n = write(c->c_fd, line + off, (size_t)len - off)) < 0) {
			if (errno == EINTR)
				continue;
			die("write: %s", strerror(errno));
		}
		off += (size_t)n;
	}
}

/*
 * conn_line: the next line from the daemon (NUL-terminated, valid until
 * the next call); its length in *lenp.
 */
static char *
conn_line(struct conn *c, size_t *lenp)
{
	char *nl;
	ssize_t n;

	if (c->c_used > 0) {
		memmove(c->c_buf, c->c_buf + c->c_used, c->c_len - c->c_used);
		c->c_len -= c->c_used;
		c->c_used = 0;
	}
	for (;;) {
		if ((nl = memchr(c->c_buf, '\n', c->c_len)) != NULL) {
			*nl = '\0';
			c->c_used = (size_t)(nl - c->c_buf) + 1;
			*lenp = (size_t)(nl - c->c_buf);
			return c->c_buf;
		}
		if (c->c_len == c->c_cap) {
			c->c_cap *= 2;
			if ((c->c_buf = realloc(c->c_buf, c->c_cap)) == NULL)
				die("out of memory");
		}
		n = read(c->c_fd, c->c_buf + c->c_len, c->c_cap - c->c_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("the daemon closed the connection");
		c->c_len += (size_t)n;
	}
}

/* One request and its response (notifications skipped). */
static char *
conn_call(struct conn *c, const char *method, const char *params)
{
	char *line;
	size_t len;

	static const char env[] = "{\"jsonrpc\":\"2.0\",\"id\":";
	const char *p;

	conn_send(c, method, params);
	/* A response starts with the envelope and its id (proto.c). */
	do
		line = conn_line(c, &len);
	while (strncmp(line, env, sizeof(env) - 1) != 0);
	for (p = line + sizeof(env) - 1; *p >= '0' && *p <= '9'; p++)
		continue;
	if (strncmp(p, ",\"result\":", 10) != 0)
		die("%s: %s", method, line);
	return line;
}

/* An integer member of a response, found by its "name": text. */
static long long
member(const char *line, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(line, key)) == NULL)
		die("no %s in %.200s", name, line);
	return strtoll(p + strlen(key), NULL, 10);
}

static double cputime(pid_t);

struct rt_arg {
	const char	*ra_method;
	double		 ra_seconds;
	long		 ra_n;		/* round trips done */
	double		 ra_elapsed;
};

static void *
rt_thread(void *arg)
{
	struct rt_arg *ra = arg;
	struct conn c;
	double t0, t;
	long n = 0;

	conn_open(&c);
	t0 = now();
	do {
		conn_call(&c, ra->ra_method, NULL);
		n++;
	} while ((n & 63) != 0 || (t = now()) - t0 < ra->ra_seconds);
	ra->ra_n = n;
	ra->ra_elapsed = t - t0;
	conn_close(&c);
	return NULL;
}

/* Round trips per second of method over nconn connections at once. */
static double
roundtrips1(const char *method, int nconn)
{
	struct rt_arg ra[BENCH_CONNS];
	pthread_t th[BENCH_CONNS];
	double rate = 0;
	int i;

	for (i = 0; i < nconn; i++) {
		ra[i].ra_method = method;
		ra[i].ra_seconds = BENCH_SECONDS;
		if (pthread_create(&th[i], NULL, rt_thread, &ra[i]) != 0)
			die("pthread_create");
	}
	for (i = 0; i < nconn; i++) {
		pthread_join(th[i], NULL);
		rate += (double)ra[i].ra_n / ra[i].ra_elapsed;
	}
	return rate;
}

/*
 * The best of BENCH_TRIALS runs, and their median: a shared host's other
 * work only ever slows a run down.
 */
static void
roundtrips(const char *what, const char *method, int nconn)
{
	double r[BENCH_TRIALS], t;
	int i, j;

	for (i = 0; i < BENCH_TRIALS; i++) {
		t = roundtrips1(method, nconn);
		for (j = i; j > 0 && r[j - 1] > t; j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
	printf("  %-11s %d connection%s %9.0f /s best, %9.0f median%s\n", what,
	    nconn, nconn > 1 ? "s" : " ", r[BENCH_TRIALS - 1],
	    r[BENCH_TRIALS / 2], strcmp(method, "hello") == 0 && nconn == 1 ?
	    "   (target > 50000)" : "");
}

/*
 * The daemon's CPU time per request of method (one connection), which a
 * busy host does not inflate the way it does wall-clock rates: its
 * inverse is the rate the daemon could sustain on a core of its own.
 */
static void
cpu_per_request(const char *method, pid_t child)
{
	struct conn c;
	double c0, c1;
	int i, n = 20000;

	conn_open(&c);
	c0 = cputime(bench_pid) + (child > 0 ? cputime(child) : 0);
	for (i = 0; i < n; i++)
		conn_call(&c, method, NULL);
	c1 = cputime(bench_pid) + (child > 0 ? cputime(child) : 0);
	conn_close(&c);
	printf("  %-11s daemon CPU %6.1f us a request (%.0f /s a core)\n",
	    method, (c1 - c0) * 1e6 / n, n / (c1 - c0));
}

/* CPU seconds (user + system) of a process so far. */
static double
cputime(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(buf, sizeof(buf), f) == NULL)
		die("%s: empty", path);
	fclose(f);
	/* Fields 14 and 15, after the parenthesised command name. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		die("%s: cannot parse", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void
write_conf(double interval)
{
	FILE *f;

	if ((f = fopen(bench_conf, "w")) == NULL)
		die("%s: %s", bench_conf, strerror(errno));
	fprintf(f, "{ \"recorder\": { \"interval\": %g } }\n", interval);
	fclose(f);
}

static long long
samples_recorded(struct conn *c)
{

	return member(conn_call(c, "history.runs", "{\"limit\":1}"),
	    "samples");
}

/*
 * The recorder's cost: CPU of both processes per committed sample while
 * recording every `interval' seconds for `seconds'.
 */
static void
recording(struct conn *c, pid_t child, double interval, double seconds,
    double *msp, double *sharep)
{
	long long s0, s1;
	double c0, c1, t0, t1;

	write_conf(interval);
	kill(bench_pid, SIGHUP);
	usleep(300000);
	s0 = samples_recorded(c);
	c0 = cputime(bench_pid) + cputime(child);
	t0 = now();
	usleep((useconds_t)(seconds * 1e6));
	c1 = cputime(bench_pid) + cputime(child);
	t1 = now();
	s1 = samples_recorded(c);
	if (s1 <= s0)
		die("no samples recorded at %g s", interval);
	*msp = (c1 - c0) * 1e3 / (double)(s1 - s0);
	*sharep = (c1 - c0) / (t1 - t0);
}

static void
start_daemon(const char *self)
{
	char bin[PATH_MAX], db[PATH_MAX + 16], *slash;
	struct conn c;
	int i;

	snprintf(bin, sizeof(bin), "%s", self);
	if ((slash = strrchr(bin, '/')) == NULL)
		die("run me by my path");
	snprintf(slash, sizeof(bin) - (size_t)(slash - bin),
	    "/../../daemon/nbmemd");
	if (access(bin, X_OK) != 0)
		die("%s: %s (make daemon)", bin, strerror(errno));
	snprintf(bench_dir, sizeof(bench_dir), "%s/bench_nbmemd.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(bench_dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(bench_sock, sizeof(bench_sock), "%s/sock", bench_dir);
	snprintf(bench_conf, sizeof(bench_conf), "%s/conf.json", bench_dir);
	snprintf(db, sizeof(db), "%s/nbmemd.db", bench_dir);
	write_conf(1.0);
	unsetenv("NBMEMD_TEST");
	if ((bench_pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (bench_pid == 0) {
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		execl(bin, "nbmemd", "-d", "-f", bench_conf, "-s", bench_sock,
		    "-D", db, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (access(bench_sock, F_OK) == 0)
			break;
		usleep(25000);
	}
	conn_open(&c);
	for (i = 0; i < 200; i++) {
		if (strstr(conn_call(&c, "machine.info", NULL),
		    "\"state\":\"up\"") != NULL)
			break;
		usleep(25000);
	}
	conn_close(&c);
}

static void
stop_daemon(void)
{
	char cmd[PATH_MAX + 16];
	int st;

	kill(bench_pid, SIGTERM);
	waitpid(bench_pid, &st, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bench_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_nbmemd: could not remove %s\n",
		    bench_dir);
}

int
main(int argc, char **argv)
{
	struct conn c;
	char params[128], *line;
	long long npools, rows;
	pid_t child;
	double t0, t1, ms, share, ms1, share1;
	int i;

	signal(SIGPIPE, SIG_IGN);
	start_daemon(argv[0]);
	conn_open(&c);
	child = (pid_t)member(conn_call(&c, "machine.info", NULL), "pid");

	printf("nbmemd round trips (request, then answer), %d runs of %g s\n",
	    BENCH_TRIALS, BENCH_SECONDS);
	roundtrips("hello", "hello", 1);
	roundtrips("hello", "hello", BENCH_CONNS);
	cpu_per_request("hello", 0);

	npools = 0;
	line = conn_call(&c, "pool.list", NULL);
	for (; (line = strstr(line, "\"wchan\":")) != NULL; line++)
		npools++;
	for (i = 0; npools < BENCH_POOLS; i++, npools++) {
		snprintf(params, sizeof(params), "{\"name\":\"bench%d\","
		    "\"size\":%d,\"cache\":%s}", i, 16 + (i % 64) * 16,
		    i % 2 ? "true" : "false");
		conn_call(&c, "pool.create", params);
	}
	printf("  with %lld pools on the machine:\n", npools);
	roundtrips("pool.list", "pool.list", 1);
	roundtrips("pool.list", "pool.list", BENCH_CONNS);
	cpu_per_request("pool.list", child);

	recording(&c, child, 0.02, 4.0, &ms, &share);
	recording(&c, child, 1.0, 10.0, &ms1, &share1);
	printf("recording a sample with %lld pools (daemon + machine "
	    "process CPU)\n", npools);
	printf("  every 20 ms %9.2f ms/sample  (%.1f%% of a core)\n", ms,
	    share * 100);
	printf("  every 1 s   %9.2f ms/sample  %.3f%% of a core   (target "
	    "< 1%%)\n", ms1, share1 * 100);

	t0 = now();
	conn_send(&c, "history.export", "{\"table\":\"pools\","
	    "\"chunk\":1000}");
	do {
		size_t len;

		line = conn_line(&c, &len);
	} while (strstr(line, "\"result\":") == NULL);
	t1 = now();
	rows = member(line, "rows");
	printf("history.export of the pool table\n");
	printf("  %lld rows in %.2f s   %9.0f rows/s\n", rows, t1 - t0,
	    (double)rows / (t1 - t0));
	t0 = now();
	conn_send(&c, "history.export", "{\"table\":\"pools\","
	    "\"chunk\":1000,\"format\":\"csv\"}");
	do {
		size_t len;

		line = conn_line(&c, &len);
	} while (strstr(line, "\"result\":") == NULL);
	t1 = now();
	printf("  as CSV                  %9.0f rows/s\n",
	    (double)member(line, "rows") / (t1 - t0));
	conn_close(&c);
	stop_daemon();
	return 0;
}
