// nf-core/modules (041fbd9) form, as modules/nf-core/semibin/singleeasybin/main.nf: versions as an
// `eval` on the `versions` topic; biocontainer names as bioconda would publish conda-recipe/meta.yaml.
process GENOMEFACE_MARKERS {
    tag "${meta.id}"
    label 'process_medium'

    conda "${moduleDir}/environment.yml"
    container "${ workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container ?
        'https://depot.galaxyproject.org/singularity/genomeface:0.1.0--pyhdfd78af_0' :
        'quay.io/biocontainers/genomeface:0.1.0--pyhdfd78af_0' }"

    input:
    tuple val(meta), path(fasta)

    output:
    tuple val(meta), path("${prefix}.markers.tsv"), emit: markers
    tuple val("${task.process}"), val('genomeface'), eval("genomeface --version | sed 's/genomeface //'"), emit: versions_genomeface, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    prefix   = task.ext.prefix ?: "${meta.id}"
    """
    genomeface \\
        markers \\
        ${args} \\
        --contigs ${fasta} \\
        --output ${prefix}.markers.tsv \\
        --threads ${task.cpus} \\
        --no-progress
    """

    stub:
    def args = task.ext.args ?: ''
    prefix   = task.ext.prefix ?: "${meta.id}"
    """
    echo "${args}"
    printf 'contig\\tmarker\\n' > ${prefix}.markers.tsv
    """
}
