#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "CBridgeSupport.h"

int ppo_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
