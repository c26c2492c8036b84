/* libFuzzer target: the undo-file reader (libldap LDIF + record parser). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "plan.h"
#include "undo.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct changes	 cs = { NULL, 0 };
	char		 path[] = "/tmp/fuzz-undo-XXXXXX";
	size_t		 bad;
	int		 fd;

	msg_verbosity = MSG_SILENT;
	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size)
		(void)undo_read(path, &cs, &bad, NULL);
	changes_free(&cs);
	close(fd);
	unlink(path);
	return 0;
}
