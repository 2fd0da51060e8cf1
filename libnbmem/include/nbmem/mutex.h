/*
 * nbmem/mutex.h: mutex(9) and condvar(9) on the simulated machine.
 *
 * As in NetBSD, the type of a mutex follows the IPL it is initialised at:
 * IPL_NONE and the soft levels give an adaptive mutex, which must not be
 * taken from a hard interrupt handler; IPL_VM and above give a spin mutex,
 * which raises the CPU's level to its IPL while it is held, so that no
 * interrupt that could take the same lock runs on that CPU meanwhile.
 *
 * Condition variables wait for a wakeup with the interlock released and
 * take it again before returning.  Waiting is not allowed from interrupt
 * context or with a spin mutex held; the machine panics as a DIAGNOSTIC
 * NetBSD kernel would.
 */
#ifndef NBMEM_MUTEX_H
#define NBMEM_MUTEX_H

#include <nbmem/types.h>

typedef enum kmutex_type_t {
	MUTEX_SPIN = 0,		/* spin mutex at the given IPL */
	MUTEX_ADAPTIVE = 1,	/* adaptive mutex; IPL_NONE only */
	MUTEX_DEFAULT = 2,	/* type chosen from the IPL */
	MUTEX_DRIVER = 3,	/* as MUTEX_DEFAULT */
	MUTEX_NODEBUG = 4	/* as MUTEX_DEFAULT */
} kmutex_type_t;

typedef struct kmutex {
	volatile uintptr_t	mtx_owner;	/* owning lwp, 0 if free */
	volatile uint32_t	mtx_word;	/* 0 free, 1 held, 2 waiters */
	uint8_t			mtx_spin;	/* spin mutex */
	uint8_t			mtx_ipl;	/* IPL raised while held */
	uint16_t		mtx_magic;	/* initialised marker */
} kmutex_t;

typedef struct kcondvar {
	const char		*cv_wmesg;	/* wait channel name */
	volatile uint32_t	 cv_gen;	/* bumped by every wakeup */
	volatile uint32_t	 cv_waiters;	/* threads waiting */
} kcondvar_t;

void	mutex_init(kmutex_t *, kmutex_type_t, int);
void	mutex_destroy(kmutex_t *);
void	mutex_enter(kmutex_t *);
void	mutex_exit(kmutex_t *);
int	mutex_tryenter(kmutex_t *);
int	mutex_owned(const kmutex_t *);
void	mutex_spin_enter(kmutex_t *);
void	mutex_spin_exit(kmutex_t *);

void	cv_init(kcondvar_t *, const char *);
void	cv_destroy(kcondvar_t *);
void	cv_wait(kcondvar_t *, kmutex_t *);
int	cv_wait_sig(kcondvar_t *, kmutex_t *);
int	cv_timedwait(kcondvar_t *, kmutex_t *, int);
void	cv_signal(kcondvar_t *);
void	cv_broadcast(kcondvar_t *);
bool	cv_has_waiters(kcondvar_t *);

#endif /* NBMEM_MUTEX_H */
