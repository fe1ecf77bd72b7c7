package datasets

// ImageLoader loads the training and test sets from dir ("" means the set's default location).
type ImageLoader func(dir string) (train, test *Images, err error)
