// What the Gymnasium bridge (Protocol/BRIDGE.md) needs from C: acquire/release access to a 32-bit word of memory
// shared with another process (Swift's own atomics need storage Swift owns; this memory is mmap'ed), and pipes
// created close-on-exec in one step (`pipe2`, which Glibc declares only under _GNU_SOURCE).
#ifndef CBRIDGESUPPORT_H
#define CBRIDGESUPPORT_H
#include <stdint.h>

static inline uint32_t ppo_load_acquire_u32(const void *address) {
    return __atomic_load_n((const uint32_t *)address, __ATOMIC_ACQUIRE);
}

static inline void ppo_store_release_u32(void *address, uint32_t value) {
    __atomic_store_n((uint32_t *)address, value, __ATOMIC_RELEASE);
}

/// A full fence: the store before it is visible before the load after it (store-load order, which x86 does
/// not give without one).
static inline void ppo_fence(void) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/// pipe2(fds, O_CLOEXEC): 0, or -1 with errno set.
int ppo_pipe_cloexec(int fds[2]);

#endif
