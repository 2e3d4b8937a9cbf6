// Test input that the tool makes itself, for the "demo" nf-tests of genomeface/{bin,markers,splitfasta}:
// `genomeface demo-data` writes a mock community of the three genomes that pyrodigal and pyhmmer
// ship (contigs.fna.gz, depth.tsv; the same sequences on every run), so the md5s in those tests'
// snapshots are computed without the network by tests/test_nextflow_module.py, which runs this
// script block and the modules' with the real genomeface.  A test-input process for nf-test setup
// blocks only, not a published module (no meta.yml; scripts/lint-nextflow.sh copies it, lints it not).
process GENOMEFACE_DEMODATA {
    tag "${meta.id}"
    label 'process_single'

    conda "${moduleDir}/../bin/environment.yml"
    container "${ workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container ?
        'https://depot.galaxyproject.org/singularity/genomeface:0.1.0--pyhdfd78af_0' :
        'quay.io/biocontainers/genomeface:0.1.0--pyhdfd78af_0' }"

    input:
    val(meta)

    output:
    tuple val(meta), path("demo/contigs.fna.gz"), path("demo/depth.tsv"), emit: demo

    when:
    task.ext.when == null || task.ext.when

    script:
    """
    genomeface demo-data demo
    """
}
