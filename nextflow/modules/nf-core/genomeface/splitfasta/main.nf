// nf-core/modules (041fbd9) form, as modules/nf-core/semibin/singleeasybin/main.nf. The scatter
// step of subworkflows/fasta_binning_genomeface: N chunks of about equal bp for GENOMEFACE_MARKERS.
process GENOMEFACE_SPLITFASTA {
    tag "${meta.id}"
    label 'process_single'

    conda "${moduleDir}/environment.yml"
    container "${ workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container ?
        'https://depot.galaxyproject.org/singularity/genomeface:0.1.0--pyhdfd78af_0' :
        'quay.io/biocontainers/genomeface:0.1.0--pyhdfd78af_0' }"

    input:
    tuple val(meta), path(fasta)
    val chunks

    output:
    tuple val(meta), path("${prefix}/*.fna.gz"), emit: chunks
    tuple val("${task.process}"), val('genomeface'), eval("genomeface --version | sed 's/genomeface //'"), emit: versions_genomeface, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix   = task.ext.prefix ?: "${meta.id}"
    """
    genomeface \\
        split-fasta \\
        ${args} \\
        --contigs ${fasta} \\
        --chunks ${chunks} \\
        --outdir ${prefix} \\
        --prefix ${prefix}
    """

    stub:
    def args = task.ext.args ?: ''
    prefix   = task.ext.prefix ?: "${meta.id}"
    """
    echo "${args}"
    mkdir -p ${prefix}
    echo "" | gzip > ${prefix}/${prefix}.1.fna.gz
    echo "" | gzip > ${prefix}/${prefix}.2.fna.gz
    """
}
