// glibc's allocator controls (mallopt), which RaiseKit uses to keep freed tensor memory for reuse.
#include <malloc.h>
