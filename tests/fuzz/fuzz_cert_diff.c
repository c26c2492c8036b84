/*
 * libFuzzer target: the fast certificate reader (cert_der.c) against the
 * reference d2i_X509 reader.  Both must accept and refuse the same inputs
 * and agree on every fact and mapping value; any difference aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/certdiff.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*d;
	size_t		 n;

	msg_verbosity = MSG_SILENT;
	if ((d = certdiff(data, size, 1, &n)) != NULL) {
		fprintf(stderr, "readers differ: %s\n", d);
		abort();
	}
	return 0;
}
