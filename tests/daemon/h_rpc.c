/*
 * h_rpc: a minimal nbmemd client for the daemon's tests.
 *
 *	h_rpc -s socket [-eErx] [-b rcvbuf] [-c responses] [-n notifications]
 *	    [-S seconds] [-t timeout] [-w seconds]
 *	h_rpc -H host:port [-t timeout] [path]
 *
 * Sends standard input to the daemon -- line by line, or as raw bytes with
 * -r -- and prints every line the daemon sends, until it has seen
 * `responses' responses (default: one per line sent) and `notifications'
 * notifications (default 0).  A line is a notification when it starts
 * with {"jsonrpc":"2.0","method": -- the order in which nbmemd writes a
 * notification's members -- and a response otherwise.
 *
 *	-e	shut the sending side down after sending (the daemon sees EOF)
 *	-E	read until the daemon closes the connection
 *	-x	with -S: stay connected without reading, then exit unread
 *	-S s	sleep s seconds after sending, before reading
 *	-b n	SO_RCVBUF of n bytes (a slow reader fills up sooner)
 *	-w s	retry connecting for up to s seconds (a daemon starting)
 *	-t s	give up after s seconds (exit 3); default 20
 *	-H	instead, GET path (default /metrics) over HTTP/1.0 and print
 *		the response, headers included
 *
 * Exit status: 0 when everything expected came, 1 on a connection error,
 * 2 on usage, 3 on a timeout (what came is printed).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Leave main(), freeing its buffers (the tests run under LeakSanitizer). */
#define DONE(st)	do { free(in); free(buf); return (st); } while (0)

#define NOTIFY_PREFIX	"{\"jsonrpc\":\"2.0\",\"method\":"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{

	fprintf(stderr, "usage: h_rpc -s socket [-eErx] [-b rcvbuf] "
	    "[-c responses] [-n notifications]\n\t[-S seconds] [-t timeout] "
	    "[-w seconds]\n       h_rpc -H host:port [-t timeout] [path]\n");
	exit(2);
}

static int
connect_unix(const char *path, double wait)
{
	struct sockaddr_un sun;
	double end = now() + wait;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "h_rpc: %s: path too long\n", path);
		exit(2);
	}
	strcpy(sun.sun_path, path);
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
			perror("h_rpc: socket");
			exit(1);
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		if (now() >= end) {
			fprintf(stderr, "h_rpc: %s: %s\n", path,
			    strerror(errno));
			exit(1);
		}
		usleep(20000);
	}
}

static void
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "h_rpc: send: %s\n", strerror(errno));
			exit(1);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Read all of standard input. */
static char *
slurp(size_t *lenp)
{
	size_t cap = 65536, len = 0, n;
	char *buf = malloc(cap);

	while (buf != NULL && (n = fread(buf + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (buf == NULL) {
		fprintf(stderr, "h_rpc: out of memory\n");
		exit(1);
	}
	*lenp = len;
	return buf;
}

static int
http_get(const char *hostport, const char *path, double timeout)
{
	struct sockaddr_in sin;
	char host[64], req[512], buf[65536];
	const char *colon = strrchr(hostport, ':');
	double end = now() + timeout;
	struct pollfd pfd;
	ssize_t n;
	int fd;

	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		usage();
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		usage();
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		fprintf(stderr, "h_rpc: %s: %s\n", hostport, strerror(errno));
		return 1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n",
	    path, host);
	send_all(fd, req, strlen(req));
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)((end - now()) * 1000)) <= 0)
			return 3;
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *http = NULL;
	bool raw = false, shut = false, toeof = false, noread = false;
	long want = -1, wantn = 0, got = 0, gotn = 0, rcvbuf = 0;
	double timeout = 20, pause = 0, wait = 0, end;
	char *in = NULL, *line, *buf = NULL, *nl;
	size_t inlen, have = 0, cap = 1 << 16, sent;
	double readfrom;
	struct pollfd pfd;
	ssize_t n;
	int ch, fd, ms;

	while ((ch = getopt(argc, argv, "b:c:eEH:n:rs:S:t:w:x")) != -1) {
		switch (ch) {
		case 'b': rcvbuf = atol(optarg); break;
		case 'c': want = atol(optarg); break;
		case 'e': shut = true; break;
		case 'E': toeof = true; break;
		case 'H': http = optarg; break;
		case 'n': wantn = atol(optarg); break;
		case 'r': raw = true; break;
		case 's': sock = optarg; break;
		case 'S': pause = atof(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'w': wait = atof(optarg); break;
		case 'x': noread = true; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (http != NULL)
		return http_get(http, argc > 0 ? argv[0] : "/metrics",
		    timeout);
	if (sock == NULL || argc != 0)
		usage();
	end = now() + timeout;
	fd = connect_unix(sock, wait);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	in = slurp(&inlen);
	if (!raw) {
		/* Normalise to one request a line; count them. */
		char *out = malloc(inlen + 1);
		size_t olen = 0;
		long nsent = 0;

		for (line = in; line < in + inlen; line = nl + 1) {
			if ((nl = memchr(line, '\n', (size_t)(in + inlen -
			    line))) == NULL)
				nl = in + inlen;
			if (nl == line)
				continue;
			memcpy(out + olen, line, (size_t)(nl - line));
			olen += (size_t)(nl - line);
			out[olen++] = '\n';
			nsent++;
		}
		free(in);
		in = out;
		inlen = olen;
		if (want < 0)
			want = nsent;
	}
	if (want < 0)
		want = 0;
	if (noread) {
		send_all(fd, in, inlen);
		if (pause > 0)
			usleep((useconds_t)(pause * 1e6));
		DONE(0);
	}

	/*
	 * Send and receive at once, so that a daemon holding back a client
	 * that does not read (as it should) cannot deadlock this one; with
	 * -S, reading starts only after the pause.
	 */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	buf = malloc(cap);
	readfrom = now() + pause;
	sent = 0;
	if (inlen == 0 && shut)
		shutdown(fd, SHUT_WR);
	for (;;) {
		/* Print and count the complete lines. */
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			fwrite(buf, 1, (size_t)(nl - buf) + 1, stdout);
			if ((size_t)(nl - buf) >= strlen(NOTIFY_PREFIX) &&
			    strncmp(buf, NOTIFY_PREFIX,
			    strlen(NOTIFY_PREFIX)) == 0)
				gotn++;
			else
				got++;
			have -= (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, have);
		}
		fflush(stdout);
		if (!toeof && sent == inlen && got >= want && gotn >= wantn &&
		    now() >= readfrom)
			DONE(0);
		if (have == cap) {
			char *nbuf = realloc(buf, cap *= 2);

			if (nbuf == NULL)
				DONE(1);
			buf = nbuf;
		}
		pfd.fd = fd;
		pfd.events = 0;
		if (sent < inlen)
			pfd.events |= POLLOUT;
		if (now() >= readfrom)
			pfd.events |= POLLIN;
		ms = (int)((end - now()) * 1000);
		if (now() < readfrom && (readfrom - now()) * 1000 < ms)
			ms = (int)((readfrom - now()) * 1000) + 1;
		if (ms <= 0) {
			fprintf(stderr, "h_rpc: timeout: %ld of %ld responses, "
			    "%ld of %ld notifications\n", got, want, gotn,
			    wantn);
			DONE(3);
		}
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			DONE(1);
		if (pfd.revents & POLLOUT) {
			n = send(fd, in + sent, inlen - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "h_rpc: send: %s\n",
				    strerror(errno));
				DONE(1);
			}
			if (n > 0 && (sent += (size_t)n) == inlen && shut)
				shutdown(fd, SHUT_WR);
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)) ||
		    now() < readfrom)
			continue;
		n = read(fd, buf + have, cap - have);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (have > 0)
				fwrite(buf, 1, have, stdout);
			if (toeof)
				DONE(0);
			fprintf(stderr, "h_rpc: connection closed: %ld of %ld "
			    "responses, %ld of %ld notifications\n", got, want,
			    gotn, wantn);
			DONE(1);
		}
		have += (size_t)n;
	}
}
