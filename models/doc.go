// Package models builds gorgonet's networks from typed configurations, on top of graphs.
package models
