/* libFuzzer target: the KDC event export reader (CSV, XML, UTF-16). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kdcev.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE	*null;
	struct kdcevents ev = { NULL, 0, 0, 0 };
	size_t		 n;

	msg_verbosity = MSG_SILENT;
	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		return 0;
	(void)kdcev_read_mem("fuzz", (const char *)data, size, &ev);
	(void)kdcev_todo(&ev, null, &n);
	kdcev_free(&ev);
	return 0;
}
