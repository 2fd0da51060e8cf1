/* tui.c: placeholder until the live view is written. */
#include "nbmemctl.h"

int
cmd_top(struct ctl *x)
{

	return EXIT_USAGE;
}
