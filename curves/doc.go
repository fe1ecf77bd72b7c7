// Package curves draws how training went: a run's curves.png (loss, validation metric and
// learning rate) and a figure overlaying the curves of several runs.
package curves
