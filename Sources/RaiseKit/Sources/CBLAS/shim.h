// The C interface of OpenBLAS that RaiseKit calls: cblas_sgemm and the thread-count controls.
#include <cblas.h>
