/*
 * cmd-pool.c: pool.*, cache.* and kmem.stats -- pool(9), pool_cache(9)
 * and kmem(9) of the running machine.
 *
 * The machine process serves these itself (child-pool.c); the entries
 * here say what each accepts and whether it changes anything (which
 * decides the read-only socket), and cmd_forward() carries the request.
 * debug.hold and debug.release (test mode) take items out of a pool and
 * give them back, so that tests can see items out, busy pools and hard
 * limits without a workload.
 */
#include "nbmemd.h"

#define POOL_NAME	{ "name", CP_STRING, 0, NBM_POOL_WCHAN_MAX - 1, true }
#define POOL_ITEMS	2147483647.0	/* an int of pool(9) */
#define POOL_END	{ NULL, 0, 0, 0, false }

static const struct cmd_param cmd_pool_name_params[] = {
	POOL_NAME,
	POOL_END
};

static const struct cmd_param cmd_pool_create_params[] = {
	POOL_NAME,
	{ "size", CP_INT, 1, 65536, true },
	{ "align", CP_INT, 0, 65536, false },
	{ "ipl", CP_STRING, 0, 16, false },
	{ "flags", CP_STRINGS, 0, 8, false },
	{ "cache", CP_BOOL, 0, 0, false },
	{ "lowat", CP_INT, 0, POOL_ITEMS, false },
	{ "hiwat", CP_INT, 0, POOL_ITEMS, false },
	{ "hardlimit", CP_INT, 1, POOL_ITEMS, false },
	{ "warning", CP_STRING, 0, 127, false },
	{ "ratecap", CP_INT, 0, 86400, false },
	POOL_END
};

static const struct cmd_param cmd_pool_setlowat_params[] = {
	POOL_NAME,
	{ "lowat", CP_INT, 0, POOL_ITEMS, true },
	POOL_END
};

static const struct cmd_param cmd_pool_sethiwat_params[] = {
	POOL_NAME,
	{ "hiwat", CP_INT, 0, POOL_ITEMS, true },
	POOL_END
};

static const struct cmd_param cmd_pool_sethardlimit_params[] = {
	POOL_NAME,
	{ "hardlimit", CP_INT, 1, POOL_ITEMS, true },
	{ "warning", CP_STRING, 0, 127, false },
	{ "ratecap", CP_INT, 0, 86400, false },
	POOL_END
};

static const struct cmd_param cmd_pool_prime_params[] = {
	POOL_NAME,
	{ "items", CP_INT, 1, POOL_ITEMS, true },
	POOL_END
};

static const struct cmd_param cmd_debug_hold_params[] = {
	{ "pool", CP_STRING, 0, NBM_POOL_WCHAN_MAX - 1, true },
	{ "count", CP_INT, 1, 1000000, false },
	POOL_END
};

static const struct cmd_param cmd_debug_release_params[] = {
	{ "pool", CP_STRING, 0, NBM_POOL_WCHAN_MAX - 1, true },
	POOL_END
};

const struct cmd_entry cmd_pool_list_entry = {
	"pool.list", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_pool_show_entry = {
	"pool.show", CMD_READONLY, cmd_pool_name_params, cmd_forward
};
const struct cmd_entry cmd_pool_create_entry = {
	"pool.create", 0, cmd_pool_create_params, cmd_forward
};
const struct cmd_entry cmd_pool_destroy_entry = {
	"pool.destroy", 0, cmd_pool_name_params, cmd_forward
};
const struct cmd_entry cmd_pool_setlowat_entry = {
	"pool.setlowat", 0, cmd_pool_setlowat_params, cmd_forward
};
const struct cmd_entry cmd_pool_sethiwat_entry = {
	"pool.sethiwat", 0, cmd_pool_sethiwat_params, cmd_forward
};
const struct cmd_entry cmd_pool_sethardlimit_entry = {
	"pool.sethardlimit", 0, cmd_pool_sethardlimit_params, cmd_forward
};
const struct cmd_entry cmd_pool_prime_entry = {
	"pool.prime", 0, cmd_pool_prime_params, cmd_forward
};
const struct cmd_entry cmd_pool_reclaim_entry = {
	"pool.reclaim", 0, cmd_pool_name_params, cmd_forward
};
const struct cmd_entry cmd_cache_list_entry = {
	"cache.list", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_cache_show_entry = {
	"cache.show", CMD_READONLY, cmd_pool_name_params, cmd_forward
};
const struct cmd_entry cmd_cache_invalidate_entry = {
	"cache.invalidate", 0, cmd_pool_name_params, cmd_forward
};
const struct cmd_entry cmd_kmem_stats_entry = {
	"kmem.stats", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_debug_hold_entry = {
	"debug.hold", CMD_DEBUG, cmd_debug_hold_params, cmd_forward
};
const struct cmd_entry cmd_debug_release_entry = {
	"debug.release", CMD_DEBUG, cmd_debug_release_params, cmd_forward
};
