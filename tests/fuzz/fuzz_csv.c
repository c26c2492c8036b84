/* libFuzzer target: the CSV reader (rows, quoting, comments, BOM). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input	 in;
	char		 path[] = "/tmp/fuzz-csv-XXXXXX";
	int		 fd;

	msg_verbosity = MSG_SILENT;
	if ((fd = mkstemp(path)) == -1)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		memset(&in, 0, sizeof(in));
		(void)input_csv(&in, path, 1);
		input_free(&in);
	}
	close(fd);
	unlink(path);
	return 0;
}
