#include <stdio.h>
#include "cmd.h"
#include "msg.h"
int run_main(int argc, char *argv[]) { (void)argc; (void)argv; msg_err("not yet"); return CB_EXIT_USAGE; }
int undo_main(int argc, char *argv[]) { (void)argc; (void)argv; msg_err("not yet"); return CB_EXIT_USAGE; }
