// Package config decodes, overrides, validates and writes the YAML experiment schema; it never builds models.
package config
