/* store.c — the PostgreSQL backend's open (placeholder until it exists). */
#include "core/log.h"
#include "store/backend.h"

ch_err ch_store_pg_open(const ch_store_opts *opts, ch_store **out, int *applied_out)
{
	*out = NULL;
	CH_ERROR("store: this build has no PostgreSQL backend yet");
	return CH_ERR_INTERNAL;
}
