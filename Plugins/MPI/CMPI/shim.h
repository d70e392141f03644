// OpenMPI's handles (MPI_COMM_WORLD, MPI_FLOAT, …) are macros over its globals, which Swift cannot
// import; these functions return them.
#include <mpi.h>

static inline MPI_Comm raise_mpi_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype raise_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype raise_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype raise_mpi_int(void) { return MPI_INT; }
static inline MPI_Op raise_mpi_sum(void) { return MPI_SUM; }
static inline void *raise_mpi_in_place(void) { return MPI_IN_PLACE; }
