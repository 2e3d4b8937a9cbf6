process GENOMEFACE_BIN {
    tag "$meta.id"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"
    container "${ workflow.containerEngine == 'singularity' && !task.ext.singularity_pull_docker_container ?
        'genomeface.sif' :
        'genomeface:0.1.0' }"

    input:
    tuple val(meta), path(contigs), path(depth)

    output:
    tuple val(meta), path("${prefix}/bins/*.fna.gz")   , emit: bins        , optional: true
    tuple val(meta), path("${prefix}/clusters.tsv")    , emit: clusters
    tuple val(meta), path("${prefix}/bins.tsv")        , emit: quality
    tuple val(meta), path("${prefix}/unbinned.fna.gz") , emit: unbinned
    tuple val(meta), path("${prefix}/markers.tsv")     , emit: markers
    tuple val(meta), path("${prefix}/run.json")        , emit: run
    path "versions.yml"                                , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix   = task.ext.prefix ?: "${meta.id}"
    """
    genomeface \\
        bin \\
        --contigs ${contigs} \\
        --abundance ${depth} \\
        --outdir ${prefix} \\
        --threads ${task.cpus} \\
        --prefix ${prefix}_bin \\
        --no-progress \\
        ${args}

    gzip -n ${prefix}/unbinned.fna
    find ${prefix}/bins -name '*.fna' -exec gzip -n {} +

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        genomeface: \$(genomeface --version | sed 's/genomeface //')
    END_VERSIONS
    """

    stub:
    prefix = task.ext.prefix ?: "${meta.id}"
    """
    mkdir -p ${prefix}/bins
    echo "" | gzip > ${prefix}/bins/${prefix}_bin1.fna.gz
    echo "" | gzip > ${prefix}/unbinned.fna.gz
    touch ${prefix}/clusters.tsv ${prefix}/bins.tsv ${prefix}/markers.tsv ${prefix}/run.json

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        genomeface: \$(genomeface --version | sed 's/genomeface //')
    END_VERSIONS
    """
}
