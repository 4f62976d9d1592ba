"""The deeplearning.net RBM tutorial's ``test_rbm``, in this API.

Trains an RBM with PCD-15 (learning rate 0.1, minibatches of 20), writes
``filters_at_epoch_N.png`` after each epoch, then runs 20 persistent chains
and writes ``samples.png`` with 10 samples taken 1000 Gibbs steps apart --
the tutorial line for line, except for the data set: it reads the 8x8
``digits`` (64 visible units, so 100 hidden units) unless given MNIST::

    python docs/examples/rbm_tutorial.py                      # digits, seconds
    python docs/examples/rbm_tutorial.py mnist.pkl.gz 500     # the tutorial's own run

The first argument is the dataset (a name or a path), the second the number
of hidden units, the third the number of epochs (default 15), the fourth the
output directory (default ``runs/rbm_plots``, which ``.gitignore`` covers).
"""
import os
import sys
import timeit

import numpy
from PIL import Image

import framework
import framework.tensor as T
from framework.models import RBM
from framework.tensor.shared_randomstreams import RandomStreams
from framework.utils import tile_raster_images


def test_rbm(dataset="digits", learning_rate=0.1, training_epochs=15, batch_size=20, n_chains=20,
             n_samples=10, output_folder=os.path.join("runs", "rbm_plots"), n_hidden=100):
    data = framework.datasets.load(dataset, dtype=framework.config.floatX)
    train_set_x = framework.shared(data.train[0], borrow=True)
    test_set_x = framework.shared(data.test[0], borrow=True)
    side = data.shape  # (8, 8) for digits, (28, 28) for MNIST

    # compute number of minibatches for training, validation and testing
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    # allocate symbolic variables for the data
    index = T.lscalar()  # index to a [mini]batch
    x = T.matrix("x")  # the data is presented as rasterized images

    rng = numpy.random.RandomState(123)
    theano_rng = RandomStreams(rng.randint(2 ** 30))

    # initialize storage for the persistent chain (state = hidden layer of chain)
    persistent_chain = framework.shared(numpy.zeros((batch_size, n_hidden), dtype=framework.config.floatX),
                                        borrow=True)

    # construct the RBM class
    rbm = RBM(input=x, n_visible=side[0] * side[1], n_hidden=n_hidden, numpy_rng=rng, theano_rng=theano_rng)

    # get the cost and the gradient corresponding to one step of CD-15
    cost, updates = rbm.get_cost_updates(lr=learning_rate, persistent=persistent_chain, k=15)

    #################################
    #     Training the RBM          #
    #################################
    if not os.path.isdir(output_folder):
        os.makedirs(output_folder)
    started_in = os.getcwd()
    os.chdir(output_folder)

    # it is ok for a framework function to have no output
    # the purpose of train_rbm is solely to update the RBM parameters
    train_rbm = framework.function(
        [index], cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]},
        name="train_rbm")

    plotting_time = 0.
    start_time = timeit.default_timer()

    # go through training epochs
    for epoch in range(training_epochs):
        # go through the training set
        mean_cost = []
        for batch_index in range(n_train_batches):
            mean_cost += [train_rbm(batch_index)]
        print("Training epoch %d, cost is " % epoch, numpy.mean(mean_cost))

        # Plot filters after each training epoch
        plotting_start = timeit.default_timer()
        # Construct image from the weight matrix
        image = Image.fromarray(
            tile_raster_images(X=rbm.W.get_value(borrow=True).T, img_shape=side, tile_shape=(10, 10),
                               tile_spacing=(1, 1)))
        image.save("filters_at_epoch_%i.png" % epoch)
        plotting_stop = timeit.default_timer()
        plotting_time += (plotting_stop - plotting_start)

    end_time = timeit.default_timer()
    pretraining_time = (end_time - start_time) - plotting_time
    print("Training took %f minutes" % (pretraining_time / 60.))

    #################################
    #     Sampling from the RBM     #
    #################################
    # find out the number of test samples
    number_of_test_samples = test_set_x.get_value(borrow=True).shape[0]

    # pick random test examples, with which to initialize the persistent chain
    test_idx = rng.randint(number_of_test_samples - n_chains)
    persistent_vis_chain = framework.shared(
        numpy.asarray(test_set_x.get_value(borrow=True)[test_idx:test_idx + n_chains],
                      dtype=framework.config.floatX))

    plot_every = 1000
    # define one step of Gibbs sampling (mf = mean-field) define a
    # function that does `plot_every` steps before returning the
    # sample for plotting
    (
        [presig_hids, hid_mfs, hid_samples, presig_vis, vis_mfs, vis_samples],
        updates,
    ) = framework.scan(rbm.gibbs_vhv, outputs_info=[None, None, None, None, None, persistent_vis_chain],
                       n_steps=plot_every, name="gibbs_vhv")

    # add to updates the shared variable that takes care of our persistent chain
    updates.update({persistent_vis_chain: vis_samples[-1]})
    # construct the function that implements our persistent chain.
    # we generate the "mean field" activations for plotting and the actual
    # samples for reinitializing the state of our persistent chain
    sample_fn = framework.function([], [vis_mfs[-1], vis_samples[-1]], updates=updates, name="sample_fn")

    # create a space to store the image for plotting ( we need to leave
    # room for the tile_spacing as well)
    height, width = side
    image_data = numpy.zeros(((height + 1) * n_samples + 1, (width + 1) * n_chains - 1), dtype="uint8")
    for idx in range(n_samples):
        # generate `plot_every` intermediate samples that we discard,
        # because successive samples in the chain are too correlated
        vis_mf, vis_sample = sample_fn()
        print(" ... plotting sample %d" % idx)
        image_data[(height + 1) * idx:(height + 1) * idx + height, :] = tile_raster_images(
            X=vis_mf, img_shape=side, tile_shape=(1, n_chains), tile_spacing=(1, 1))

    # construct image
    image = Image.fromarray(image_data)
    image.save("samples.png")
    os.chdir(started_in)  # the tutorial's os.chdir("../"), for an output folder of any depth
    return rbm


if __name__ == "__main__":
    arguments = sys.argv[1:]
    test_rbm(dataset=arguments[0] if len(arguments) > 0 else "digits",
             n_hidden=int(arguments[1]) if len(arguments) > 1 else 100,
             training_epochs=int(arguments[2]) if len(arguments) > 2 else 15,
             output_folder=arguments[3] if len(arguments) > 3 else os.path.join("runs", "rbm_plots"))
