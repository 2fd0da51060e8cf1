/*
 * cmd-intr.c: intr.list, intr.add, intr.set and intr.remove -- the
 * machine's interrupt sources, served by the machine process
 * (child-intr.c, which says what a handler action is).
 */
#include "nbmemd.h"

#define INTR_CONFIG							\
	{ "ipl", CP_STRING, 0, 16, false },				\
	{ "distribution", CP_STRING, 0, 16, false },			\
	{ "rate", CP_NUMBER, 0, 10000000, false },			\
	{ "burst", CP_INT, 1, 100000, false },				\
	{ "target", CP_STRING, 0, 16, false },				\
	{ "cpu", CP_INT, 0, NBM_NCPU_MAX - 1, false },			\
	{ "paused", CP_BOOL, 0, 0, false }

static const struct cmd_param cmd_intr_add_params[] = {
	{ "name", CP_STRING, 0, NBM_INTR_NAME_MAX - 1, true },
	{ "action", CP_STRING, 0, 32, false },
	INTR_CONFIG,
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_intr_set_params[] = {
	{ "name", CP_STRING, 0, NBM_INTR_NAME_MAX - 1, true },
	INTR_CONFIG,
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_intr_remove_params[] = {
	{ "name", CP_STRING, 0, NBM_INTR_NAME_MAX - 1, true },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_intr_list_entry = {
	"intr.list", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_intr_add_entry = {
	"intr.add", 0, cmd_intr_add_params, cmd_forward
};
const struct cmd_entry cmd_intr_set_entry = {
	"intr.set", 0, cmd_intr_set_params, cmd_forward
};
const struct cmd_entry cmd_intr_remove_entry = {
	"intr.remove", 0, cmd_intr_remove_params, cmd_forward
};
