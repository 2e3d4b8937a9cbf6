#!/usr/bin/env nextflow
//
// GenomeFace binning of one assembly, gene calling scattered over --chunks tasks:
//   nextflow run nextflow/main.nf -profile docker --contigs contigs.fna.gz --depth depth.tsv --outdir results
//   nextflow run nextflow/main.nf -profile apptainer,slurm --contigs asm.fa.gz --bams 'mapped/*.bam' --chunks 16
// (--bams needs each BAM's .bai next to it.)  See docs/nextflow.md.
//
nextflow.enable.dsl = 2

include { FASTA_BINNING_GENOMEFACE } from './subworkflows/nf-core/fasta_binning_genomeface/main'

params.contigs = null
params.depth   = null
params.bams    = null
params.id      = 'assembly'
params.chunks  = 4
params.outdir  = 'results'

workflow {
    if (!params.contigs) {
        error "give --contigs FASTA, and --depth TSV or --bams 'GLOB' (or neither: composition only)"
    }
    if (params.depth && params.bams) {
        error "give --depth or --bams, not both"
    }
    def bams = params.bams ? files(params.bams, checkIfExists: true).sort() : []
    def bais = bams.collect { bam -> file("${bam}.bai", checkIfExists: true) }
    def ch_assemblies = channel.of([
        [ id: params.id ],
        file(params.contigs, checkIfExists: true),
        params.depth ? file(params.depth, checkIfExists: true) : [],
        bams,
        bais,
    ])

    FASTA_BINNING_GENOMEFACE(ch_assemblies, params.chunks as int)

    // software versions of every task, from the `versions` topic (nf-core's topic: versions form)
    channel.topic('versions')
        .unique()
        .map { process, tool, version -> "${process.tokenize(':').last()}\t${tool}\t${version}" }
        .collectFile(name: 'software_versions.tsv', storeDir: "${params.outdir}/pipeline_info", sort: true, newLine: true)
}
