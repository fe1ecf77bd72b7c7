// Package sweep runs many variants of one experiment: it reads a sweep file, expands it into
// runs, runs them on a local worker pool or as a Slurm job array, and ranks their results.
package sweep
