/*
 * log.c: logging to standard error or syslog.
 *
 * Every message is one line.  Bytes that are not printable ASCII (a
 * client's method name, a panic message) are written as \ooo escapes, so
 * that nothing a client sends can forge a log line or drive a terminal.
 * The process name given to log_procname() prefixes lines on standard
 * error, so that the machine process's lines stand apart in -d mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static int	log_where = LOG_TO_STDERR;
static int	log_verbose;
static const char *log_name = "nbmemd";

/* Start logging to standard error, to syslog with facility, or nowhere. */
void
log_init(int where, int facility)
{

	log_where = where;
	if (where == LOG_TO_SYSLOG)
		openlog("nbmemd", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

/* Name this process in the lines it writes to standard error. */
void
log_procname(const char *name)
{

	log_name = name;
}

void
log_setverbose(int v)
{

	log_verbose = v;
}

int
log_getverbose(void)
{

	return log_verbose;
}

/* Copy src to dst, escaping what is not printable ASCII. */
static void
log_sanitize(char *dst, size_t dlen, const char *src)
{
	size_t o = 0;
	unsigned char c;

	for (; (c = (unsigned char)*src) != '\0' && o + 5 < dlen; src++) {
		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else if (c == '\\') {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else
			o += (size_t)snprintf(dst + o, dlen - o, "\\%03o", c);
	}
	dst[o] = '\0';
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX * 2];
	int saved_errno = errno;

	if (log_where == LOG_TO_NOWHERE)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_sanitize(line, sizeof(line), raw);
	if (log_where == LOG_TO_STDERR) {
		fprintf(stderr, "%s: %s\n", log_name, line);
		fflush(stderr);
	} else
		syslog(pri, "%s", line);
	errno = saved_errno;
}

/* Log a message and the text of errno. */
void
log_warn(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(saved_errno));
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s: %s", buf, strerror(saved_errno));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("fatal: %s", buf);
	exit(1);
}
