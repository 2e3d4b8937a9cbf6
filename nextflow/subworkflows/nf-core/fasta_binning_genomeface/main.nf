//
// GenomeFace binning with gene calling scattered over chunks of the assembly:
//   GENOMEFACE_SPLITFASTA (N chunks of about equal bp) -> GENOMEFACE_MARKERS per chunk (in parallel,
//   on any node) -> GENOMEFACE_BIN --markers <all chunk tables>.
// Gene calling is most of a genomeface run (149 of 180 s on a 124 Mbp assembly); the calls of the
// scattered tables equal those of the in-process stage, so the bins do not change.
// Form as nf-core/modules subworkflows/nf-core/fasta_binning_concoct (take/main/emit, topic versions)
// and nf-core/mag subworkflows/local/binning (per-binner meta, channel joins by meta).
//
include { GENOMEFACE_SPLITFASTA } from '../../../modules/nf-core/genomeface/splitfasta/main'
include { GENOMEFACE_MARKERS    } from '../../../modules/nf-core/genomeface/markers/main'
include { GENOMEFACE_BIN        } from '../../../modules/nf-core/genomeface/bin/main'

workflow FASTA_BINNING_GENOMEFACE {

    take:
    ch_assemblies // channel: [ val(meta), path(contigs), path(depth) or [], [ path(bams) ] or [], [ path(bais) ] or [] ]
    val_chunks    // integer: marker-gene chunks per assembly (1 runs GENOMEFACE_MARKERS once, on the whole assembly)

    main:

    GENOMEFACE_SPLITFASTA(
        ch_assemblies.map { meta, contigs, _depth, _bams, _bais -> [ meta, contigs ] },
        val_chunks
    )

    // one task per chunk; the chunk's meta remembers its assembly and how many chunks to wait for
    ch_chunks = GENOMEFACE_SPLITFASTA.out.chunks
        .flatMap { meta, chunks ->
            def files = chunks instanceof List ? chunks : [ chunks ]
            files.collect { chunk ->
                [ meta + [ id: chunk.name - ~/\.fna\.gz$/, assembly: meta, n_chunks: files.size() ], chunk ]
            }
        }

    GENOMEFACE_MARKERS(ch_chunks)

    // gather: all chunk tables of an assembly, released as soon as the last one is done
    ch_markers = GENOMEFACE_MARKERS.out.markers
        .map { meta, markers -> [ groupKey(meta.assembly, meta.n_chunks), markers ] }
        .groupTuple()
        .map { key, markers -> [ key.getGroupTarget(), markers.sort { m -> m.name } ] }

    GENOMEFACE_BIN(
        ch_assemblies.join(ch_markers, failOnMismatch: true)
    )

    emit:
    bins     = GENOMEFACE_BIN.out.bins     // channel: [ val(meta), [ path(${prefix}.<n>.fa.gz) ] ]
    clusters = GENOMEFACE_BIN.out.clusters // channel: [ val(meta), path(clusters.tsv) ]
    quality  = GENOMEFACE_BIN.out.quality  // channel: [ val(meta), path(bins.tsv) ]
    unbinned = GENOMEFACE_BIN.out.unbinned // channel: [ val(meta), path(${prefix}.unbinned.fa.gz) ]
    markers  = GENOMEFACE_BIN.out.markers  // channel: [ val(meta), path(markers.tsv) ]
    run      = GENOMEFACE_BIN.out.run      // channel: [ val(meta), path(run.json) ]
}
