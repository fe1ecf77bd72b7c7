// Package plots draws pictures of a model's results as PNG files: heat maps of a confusion
// matrix or of attention weights, and grids of captioned images.
package plots
