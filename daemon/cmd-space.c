/*
 * cmd-space.c: vmem.list, vmem.show, extent.list and extent.show -- the
 * machine's vmem(9) arenas and extent(9) maps, served by the machine
 * process (child-space.c).
 */
#include "nbmemd.h"

static const struct cmd_param cmd_vmem_show_params[] = {
	{ "name", CP_STRING, 0, NBM_STAT_NAME_MAX - 1, true },
	{ "limit", CP_INT, 0, 1000000, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_extent_show_params[] = {
	{ "name", CP_STRING, 0, NBM_STAT_NAME_MAX - 1, true },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_vmem_list_entry = {
	"vmem.list", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_vmem_show_entry = {
	"vmem.show", CMD_READONLY, cmd_vmem_show_params, cmd_forward
};
const struct cmd_entry cmd_extent_list_entry = {
	"extent.list", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_extent_show_entry = {
	"extent.show", CMD_READONLY, cmd_extent_show_params, cmd_forward
};
