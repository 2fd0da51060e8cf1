/*
 * log.h: nbmemd's logging, in the style of the OpenBSD daemons' log.c.
 *
 * Until log_init() says otherwise messages go to standard error; a daemon
 * that detached logs through syslog(3) instead.  log_debug() prints only
 * when the verbosity (-v) is at least 1.  fatal() and fatalx() log and exit
 * with status 1; they are for start-up errors and broken internal state,
 * never for a bad request.
 */
#ifndef NBMD_LOG_H
#define NBMD_LOG_H

#include <stdarg.h>

#define NBMD_PRINTFLIKE(a, b)	__attribute__((__format__(__printf__, a, b)))
#define NBMD_DEAD		__attribute__((__noreturn__))

#define LOG_TO_SYSLOG	0	/* log_init(): detached daemon */
#define LOG_TO_STDERR	1	/* -d, and before start-up is done */
#define LOG_TO_NOWHERE	2	/* the fuzzer */

void	log_init(int where, int facility);
void	log_procname(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) NBMD_PRINTFLIKE(1, 2);
void	log_warnx(const char *, ...) NBMD_PRINTFLIKE(1, 2);
void	log_info(const char *, ...) NBMD_PRINTFLIKE(1, 2);
void	log_debug(const char *, ...) NBMD_PRINTFLIKE(1, 2);
void	vlog(int, const char *, va_list) NBMD_PRINTFLIKE(2, 0);
NBMD_DEAD void fatal(const char *, ...) NBMD_PRINTFLIKE(1, 2);
NBMD_DEAD void fatalx(const char *, ...) NBMD_PRINTFLIKE(1, 2);

#endif /* NBMD_LOG_H */
