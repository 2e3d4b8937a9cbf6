// Layout and conventions matched to nf-core/modules (041fbd9): modules/nf-core/vamb/bin/main.nf
// (optional depth table or BAMs staged in bams/), semibin/singleeasybin/main.nf (versions as an
// `eval` on the `versions` topic), caalm/caalm/main.nf (task.accelerator -> GPU conda env,
// container and device flag).
// The container names are those bioconda would publish for conda-recipe/meta.yaml (not published yet).
//
// File names as nf-core/mag (56abab5) expects of a binner: bins ${prefix}.<n>.fa.gz with prefix
// "${meta.assembler}-<binner>-${meta.id}" (conf/modules.config ext.prefix of METABAT2_METABAT2,
// MAXBIN2, SEMIBIN_SINGLEEASYBIN), the only form modules/local/dastool_rename_pre/main.nf accepts
// ("${meta.assembler}-${meta.binner}-${meta.id}.<n>.fa" after gunzip; DASTOOL_FASTATOCONTIG2BIN
// gets extension 'fa' from subworkflows/local/binning_refinement/main.nf), and unbinned contigs
// ${prefix}.unbinned.fa.gz, which modules/local/split_fasta/main.nf splits into its
// "${meta.assembler}-${meta.binner}-${meta.id}.*.[1-9]*.fa.gz" outputs.
process GENOMEFACE_BIN {
    tag "${meta.id}"
    label 'process_medium'

    conda "${ task.accelerator ? "${moduleDir}/environment.gpu.yml" : "${moduleDir}/environment.yml" }"
    container "${ workflow.containerEngine in ['singularity', 'apptainer'] && !task.ext.singularity_pull_docker_container ?
        (task.accelerator ? 'https://depot.galaxyproject.org/singularity/mulled-v2-fa864abc6f2b9232d485da771e34580836ae2823:c1d1f3c94f1d664bba9259428749c50ecfd619f0-0' : 'https://depot.galaxyproject.org/singularity/genomeface:0.1.0--pyhdfd78af_0') :
        (task.accelerator ? 'quay.io/biocontainers/mulled-v2-fa864abc6f2b9232d485da771e34580836ae2823:c1d1f3c94f1d664bba9259428749c50ecfd619f0-0' : 'quay.io/biocontainers/genomeface:0.1.0--pyhdfd78af_0') }"

    input:
    tuple val(meta), path(contigs), path(depth), path(bams, stageAs: 'bams/*'), path(bais, stageAs: 'bams/*'), path(markers, stageAs: 'markers/*')

    output:
    tuple val(meta), path("${prefix}/bins/*.fa.gz")              , emit: bins    , optional: true
    tuple val(meta), path("${prefix}/clusters.tsv")                     , emit: clusters
    tuple val(meta), path("${prefix}/bins.tsv")                         , emit: quality
    tuple val(meta), path("${prefix}/${prefix}.unbinned.fa.gz"), emit: unbinned
    tuple val(meta), path("${prefix}/markers.tsv")                      , emit: markers
    tuple val(meta), path("${prefix}/run.json")                         , emit: run
    tuple val("${task.process}"), val('genomeface'), eval("genomeface --version | sed 's/genomeface //'"), emit: versions_genomeface, topic: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    if (depth && bams) {
        error("ERROR: GENOMEFACE_BIN takes a depth table or BAM files, not both")
    }
    def args           = task.ext.args ?: ''
    // nf-core/mag sets ext.prefix "${meta.assembler}-GenomeFace-${meta.id}" (docs/nextflow.md); the module
    // cannot default to it: nf-core lint (main_nf_meta_key) allows only meta.id/single_end/strandedness
    prefix             = task.ext.prefix ?: "${meta.id}"
    def coverage_input = depth ? "--abundance ${depth}" : (bams ? "--bam ${bams}" : '')
    def markers_input  = markers ? "--markers ${markers}" : ''
    def device         = task.accelerator ? '--device gpu' : ''
    """
    genomeface \\
        bin \\
        ${args} \\
        --contigs ${contigs} \\
        ${coverage_input} \\
        ${markers_input} \\
        ${device} \\
        --outdir ${prefix} \\
        --threads ${task.cpus} \\
        --prefix ${prefix}. \\
        --no-progress

    # genomeface writes bins/<--prefix><n>.fna and unbinned.fna and has no option for the
    # extension, so the module renames them to the .fa that nf-core/mag's DAS Tool steps take
    # (a fixed extension: nf-core lint, main_nf_ext_key, allows no ext key for it)
    shopt -s nullglob
    for fasta in ${prefix}/bins/*.fna; do
        mv "\${fasta}" "\${fasta%.fna}.fa"
    done
    mv ${prefix}/unbinned.fna ${prefix}/${prefix}.unbinned.fa
    gzip -n ${prefix}/bins/*.fa ${prefix}/${prefix}.unbinned.fa
    """

    stub:
    if (depth && bams) {
        error("ERROR: GENOMEFACE_BIN takes a depth table or BAM files, not both")
    }
    def args = task.ext.args ?: ''
    prefix   = task.ext.prefix ?: "${meta.id}"
    """
    echo "${args}"
    mkdir -p ${prefix}/bins
    echo "" | gzip > ${prefix}/bins/${prefix}.1.fa.gz
    echo "" | gzip > ${prefix}/${prefix}.unbinned.fa.gz
    touch ${prefix}/clusters.tsv
    touch ${prefix}/bins.tsv
    touch ${prefix}/markers.tsv
    touch ${prefix}/run.json
    """
}
