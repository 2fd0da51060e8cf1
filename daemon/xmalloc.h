/*
 * xmalloc.h: allocation wrappers that never return NULL (tmux's xmalloc).
 *
 * Running out of host memory in the daemon or the CLI is not something a
 * request can recover from: the wrappers call fatalx() instead.  libnbmem
 * never uses them; its allocations fail with errno values.
 */
#ifndef NBMD_XMALLOC_H
#define NBMD_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "log.h"

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) NBMD_PRINTFLIKE(2, 3);
int	 xvasprintf(char **, const char *, va_list) NBMD_PRINTFLIKE(2, 0);

#endif /* NBMD_XMALLOC_H */
