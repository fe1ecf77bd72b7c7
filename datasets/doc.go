// Package datasets loads real training data (IDX image sets such as MNIST and Fashion-MNIST) and
// cuts it into deterministic validation splits, epoch orders and batches.
package datasets
