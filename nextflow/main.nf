#!/usr/bin/env nextflow
// Minimal pipeline around the module:
//   nextflow run nextflow/main.nf --contigs contigs.fna.gz --depth depth.tsv --outdir results
nextflow.enable.dsl = 2

include { GENOMEFACE_BIN } from './modules/genomeface/bin/main'

params.contigs = null
params.depth   = null
params.id      = 'assembly'
params.outdir  = 'results'

workflow {
    if (!params.contigs || !params.depth) {
        error "give --contigs FASTA and --depth TSV"
    }
    ch_input = Channel.of([ [ id: params.id ], file(params.contigs, checkIfExists: true), file(params.depth, checkIfExists: true) ])
    GENOMEFACE_BIN(ch_input)
}
