/*
 * fields.c: the field tables of fields.h, expanded from the X-macro lists.
 */
#include <string.h>

#include "fields.h"

#define NBMD_X(name, kind, descr)					\
	{ #name, kind, descr, offsetof(struct nbm_uvmexp, name) },
static const struct nbmd_field nbmd_uvmexp_list[] = {
	NBMD_UVMEXP_FIELDS(NBMD_X)
};
#undef NBMD_X

const struct nbmd_fieldset nbmd_uvmexp_fieldset = {
	"uvmexp", "machine_samples", nbmd_uvmexp_list,
	sizeof(nbmd_uvmexp_list) / sizeof(nbmd_uvmexp_list[0]),
};

const struct nbmd_fieldset *const nbmd_fieldsets[] = {
	&nbmd_uvmexp_fieldset,
};
const size_t nbmd_nfieldsets = sizeof(nbmd_fieldsets) /
    sizeof(nbmd_fieldsets[0]);
